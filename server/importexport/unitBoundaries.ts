/**
 * Unit boundaries (GeoJSON): a Polygon or MultiPolygon per existing unit, keyed by
 * its code. Geometry is checked in JS (structure) and by PostGIS (validity, with
 * the reason and place of a self-intersection); invalid rings are refused, not
 * silently repaired, so the user fixes the source.
 */
import { sql } from 'kysely';
import type { Feature, Geometry } from 'geojson';
import { FieldSet, headerKey, type FieldSpec } from './columns.ts';
import { toWgs84 } from './coords.ts';
import { decodeText } from './encoding.ts';
import { geometryProblems, mapPositions, parseFeatureCollection } from './geojson.ts';
import { PLACEMENT_TOLERANCE_DEG, REGION_CODE } from './placement.ts';
import { createStage, fillStage, type StageColumn } from './stage.ts';
import type { ImportKind, KindContext, Plan } from './types.ts';
import { parseUnitCode } from './values.ts';

type BoundaryField = 'code' | 'name';
const BOUNDARY_FIELD_SPECS: FieldSpec<BoundaryField>[] = [
  { key: 'code', zh: '区划代码', en: 'code', required: true, synonyms: ['统计用区划代码', '行政区划代码', 'adcode', 'unit_code', 'gb', 'xzqdm'] },
  { key: 'name', zh: '区划名称', en: 'name', synonyms: ['名称', 'unit_name', 'xzqmc'] },
];
const boundaryFields = new FieldSet<BoundaryField>(BOUNDARY_FIELD_SPECS);

const STAGE = 'import_boundary';
const STAGE_COLUMNS: StageColumn[] = [
  { name: 'ord', type: 'integer' },
  { name: 'code', type: 'text' },
  { name: 'name', type: 'text' },
  { name: 'geojson', type: 'text' },
];

async function plan(ctx: KindContext): Promise<Plan | null> {
  const p = ctx.problems;
  const decoded = decodeText(ctx.file.bytes, ctx.options.encoding);
  const fc = parseFeatureCollection(decoded.text);

  // The property that holds the code: the first property name that maps to `code`.
  const keys = new Set<string>();
  for (const f of fc.features) for (const k of Object.keys((f as Feature).properties ?? {})) keys.add(k);
  const codeKey = [...keys].find((k) => boundaryFields.lookup(k) === 'code');
  const nameKey = [...keys].find((k) => boundaryFields.lookup(k) === 'name');
  const columns = {
    mapped: [...(codeKey ? [{ header: codeKey, field: 'code' }] : []), ...(nameKey ? [{ header: nameKey, field: 'name' }] : [])],
    ignored: [...keys].filter((k) => k !== codeKey && k !== nameKey && headerKey(k) !== ''),
  };
  if (!codeKey) {
    p.add(null, '区划代码 / code', null, 'missing_column', `no feature property holds the unit code (accepted names: 区划代码, code, adcode, unit_code, …); properties found: ${[...keys].join(', ') || '(none)'}`, `要素属性中没有区划代码（可用属性名：区划代码、code、adcode、unit_code 等）；现有属性：${[...keys].join('、') || '（无）'}`);
    return null;
  }

  const staged: { ord: number; code: string; name: string | null; geojson: string }[] = [];
  const firstRowOf = new Map<string, number>();
  const withoutGeometry: number[] = [];
  fc.features.forEach((raw, i) => {
    const row = i + 1;
    const f = raw as Partial<Feature>;
    if (f.type !== 'Feature') {
      p.add(row, 'type', f.type, 'not_a_feature', 'each element of "features" must be a Feature', '"features" 中的每个元素都必须是 Feature');
      return;
    }
    // A feature without geometry carries no boundary (an export of units that have none): skipped.
    if (f.geometry === null) {
      withoutGeometry.push(row);
      return;
    }
    const props = f.properties ?? {};
    const code = parseUnitCode(String(props[codeKey] ?? ''));
    if (!code.ok) p.add(row, codeKey, props[codeKey], code.code, `unit code ${code.en}`, `区划代码${code.zh}`);
    else if (code.value === null) p.add(row, codeKey, '', 'required', 'the unit code is required', '区划代码为必填项');
    const issues = geometryProblems(f.geometry, ['Polygon', 'MultiPolygon']);
    for (const issue of issues) p.add(row, 'geometry', JSON.stringify(f.geometry ?? null).slice(0, 80), 'invalid_geometry', issue.en, issue.zh);
    if (!code.ok || code.value === null || issues.length > 0) return;
    const first = firstRowOf.get(code.value);
    if (first !== undefined) {
      p.add(row, codeKey, code.value, 'duplicate_code', `the code ${code.value} also appears in feature ${first}; merge the parts into one MultiPolygon`, `区划代码 ${code.value} 在第 ${first} 个要素中已出现；请将各部分合并为一个 MultiPolygon`);
      return;
    }
    firstRowOf.set(code.value, row);
    const geometry = ctx.options.crs === 'wgs84' ? (f.geometry as Geometry) : mapPositions(f.geometry as Geometry, (x, y) => toWgs84(x, y, ctx.options.crs));
    staged.push({ ord: row, code: code.value, name: nameKey ? String(props[nameKey] ?? '') || null : null, geojson: JSON.stringify(geometry) });
  });

  const counts = { created: 0, updated: 0, unchanged: 0, deleted: 0, skipped: withoutGeometry.length };
  if (withoutGeometry.length > 0) {
    ctx.warnings.push({
      code: 'no_geometry_skipped',
      en: `${withoutGeometry.length} feature(s) have no geometry (null) and were skipped: their units keep their boundaries.`,
      zh: `${withoutGeometry.length} 个要素没有几何图形（null），已跳过：其区划边界保持不变。`,
      rows: withoutGeometry.slice(0, 20),
      count: withoutGeometry.length,
    });
  }
  const base = { rows: fc.features.length, counts, columns, encoding: decoded.encoding, sheet: null };
  if (staged.length === 0) return { ...base, write: async () => ({ details: {} }), touchedUnits: async () => [] };

  // Stage, then check in the database: unit exists, geometry valid, within the region / parent banner.
  await createStage(ctx.trx, STAGE, STAGE_COLUMNS, 'geom geometry(MultiPolygon, 4326), valid boolean, reason text, changed boolean');
  await fillStage(ctx.trx, STAGE, STAGE_COLUMNS, staged);
  await sql.raw(`UPDATE ${STAGE} SET geom = ST_Multi(ST_Force2D(ST_SetSRID(ST_GeomFromGeoJSON(geojson), 4326)))`).execute(ctx.trx);
  await sql.raw(`UPDATE ${STAGE} SET valid = ST_IsValid(geom), reason = CASE WHEN ST_IsValid(geom) THEN NULL ELSE ST_IsValidReason(geom) END`).execute(ctx.trx);
  const { rows: checks } = await sql<{
    ord: number;
    code: string;
    name: string | null;
    valid: boolean;
    reason: string | null;
    unit_name: string | null;
    unit_level: string | null;
    inside: boolean | null;
    against: string | null;
  }>`
    SELECT s.ord, s.code, s.name, s.valid, s.reason, u.name AS unit_name, u.level AS unit_level,
      CASE WHEN NOT s.valid OR u.code IS NULL OR ref.boundary IS NULL THEN NULL
           ELSE ST_DWithin(ref.boundary, ST_PointOnSurface(s.geom), ${PLACEMENT_TOLERANCE_DEG}::float8) END AS inside,
      ref.name AS against
    FROM ${sql.raw(STAGE)} s
    LEFT JOIN admin_unit u ON u.code = s.code
    LEFT JOIN admin_unit ref ON ref.code = CASE WHEN u.level IN ('township', 'village') THEN u.banner_code ELSE ${REGION_CODE} END
    ORDER BY s.ord`.execute(ctx.trx);
  for (const c of checks) {
    if (!c.unit_level) {
      p.add(c.ord, codeKey, c.code, 'unit_not_found', `no administrative unit has the code ${c.code}; boundaries are attached to existing units (create townships and villages with a unit-populations import first)`, `不存在代码为 ${c.code} 的行政区划；边界只能附加到已有区划（请先用“区划人口”导入新建苏木乡镇、嘎查村）`);
      continue;
    }
    if (!c.valid) {
      p.add(c.ord, 'geometry', c.reason, 'invalid_geometry', `the polygon is not valid: ${c.reason} (fix it in a GIS, e.g. QGIS "Fix geometries")`, `多边形无效：${c.reason}（请在 GIS 软件中修复，例如 QGIS“修复几何”）`);
      continue;
    }
    if (c.inside === false) {
      p.add(c.ord, 'geometry', c.code, 'outside_parent', `the boundary lies outside ${c.against} (its ${c.unit_level === 'township' || c.unit_level === 'village' ? 'banner' : 'region'}): wrong unit code, or coordinates in another system (GCJ-02? projected?)`, `该边界位于${c.against}之外：区划代码错误，或坐标为其他坐标系（GCJ-02？投影坐标？）`);
    }
    if (c.name && c.unit_name && c.name.trim() !== c.unit_name) {
      ctx.warnings.push({ code: 'name_differs', en: `Feature ${c.ord}: the name "${c.name}" differs from the unit's name "${c.unit_name}" (${c.code}); the boundary is attached by code.`, zh: `第 ${c.ord} 个要素：名称“${c.name}”与区划名称“${c.unit_name}”（${c.code}）不同；边界按代码匹配。`, rows: [c.ord] });
    }
  }
  if (p.size > 0) return { ...base, write: async () => ({ details: {} }), touchedUnits: async () => [] };

  await sql.raw(`UPDATE ${STAGE} s SET changed = (u.boundary IS NULL OR ST_AsGeoJSON(u.boundary, 6) <> ST_AsGeoJSON(s.geom, 6)) FROM admin_unit u WHERE u.code = s.code`).execute(ctx.trx);
  const { rows: classes } = await sql<{ updated: number; unchanged: number; upper: number }>`
    SELECT count(*) FILTER (WHERE s.changed)::int AS updated, count(*) FILTER (WHERE NOT s.changed)::int AS unchanged,
           count(*) FILTER (WHERE s.changed AND u.level IN ('region', 'league', 'banner'))::int AS upper
    FROM ${sql.raw(STAGE)} s JOIN admin_unit u ON u.code = s.code`.execute(ctx.trx);
  counts.updated = classes[0]!.updated;
  counts.unchanged = classes[0]!.unchanged;
  if (classes[0]!.upper > 0) {
    ctx.warnings.push({
      code: 'parents_not_redissolved',
      en: 'Region, league or banner boundaries change with this file; the enclosing league and region outlines are not recomputed from them.',
      zh: '本文件会修改自治区、盟市或旗县边界；上级盟市和自治区的边界不会据此重新合并。',
    });
  }
  return {
    ...base,
    async touchedUnits() {
      const { rows } = await sql<{ code: string }>`SELECT code FROM ${sql.raw(STAGE)} WHERE changed`.execute(ctx.trx);
      return rows.map((r) => r.code);
    },
    async write() {
      const { rows } = await sql<{ code: string }>`
        UPDATE admin_unit u SET boundary = s.geom, area_km2 = ST_Area(s.geom::geography) / 1e6, version = u.version + 1, updated_at = now()
        FROM ${sql.raw(STAGE)} s WHERE u.code = s.code AND s.changed RETURNING u.code`.execute(ctx.trx);
      return { details: { codes: { updated: rows.map((r) => r.code).slice(0, 1000) } } };
    },
  };
}

export const unitBoundaryImport: ImportKind = {
  name: 'unit-boundaries',
  entity: 'admin_unit',
  formats: ['geojson'],
  fields: boundaryFields.fields,
  plan,
};
