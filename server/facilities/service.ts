/**
 * Registry edits: create, update and close a facility. Every edit is checked
 * like an imported row (taxonomy by schema; counts non-negative; the location
 * inside the region and consistent with its unit's banner; the unit and served
 * villages exist), carries the version the client read (a stale one is refused
 * with 409 and changes nothing), bumps the data version and is written to the
 * audit log with before and after — all in one transaction.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, FacilityRow, FacilityUpdate as FacilityUpdateRow, NewFacility } from '../db/schema.ts';
import { pointFromLonLat } from '../db/postgis.ts';
import { AppError, facilityNotFound, versionConflict, type ErrorDetail } from '../errors.ts';
import type { Actor } from '../http/actor.ts';
import { writeAudit } from '../audit/log.ts';
import { toWgs84, type InputCrs } from '../importexport/coords.ts';
import { checkPlacements } from '../importexport/placement.ts';
import { bumpDataVersion, findFacility, type FacilityWithGeometry } from './repository.ts';
import type { FacilityClose, FacilityCreate, FacilityDetail, FacilityUpdate, StaffInput } from './schemas.ts';

type Row = FacilityWithGeometry & { unit_name: string | null };

export function toDetail(row: Row): FacilityDetail {
  return {
    id: Number(row.id),
    code: row.code,
    name: row.name,
    type: row.type,
    status: row.status,
    grade: row.grade,
    ownership: row.ownership,
    runByLevel: row.run_by_level,
    central: row.central,
    unitCode: row.unit_code,
    townshipCode: row.township_code,
    bannerCode: row.banner_code,
    leagueCode: row.league_code,
    beds: row.beds,
    synthetic: row.synthetic,
    gradeLevel: row.grade_level,
    location: row.location,
    unitName: row.unit_name,
    bedsPaediatric: row.beds_paediatric,
    staff: {
      doctors: row.staff_doctors,
      assistantDoctors: row.staff_assistant_doctors,
      nurses: row.staff_nurses,
      gps: row.staff_gps,
      tcmDoctors: row.staff_tcm_doctors,
      tcmGps: row.staff_tcm_gps,
      villageDoctors: row.staff_village_doctors,
      publicHealth: row.staff_public_health,
      supervisors: row.staff_supervisors,
      tcmCapable: row.staff_tcm_capable,
    },
    departments: row.departments,
    tcmHallLevel: row.tcm_hall_level,
    tcmTechniqueCategories: row.tcm_technique_categories,
    tcmTechniques: row.tcm_techniques,
    providesDeliveries: row.provides_deliveries,
    villagesServed: row.villages_served,
    mergedIntoId: row.merged_into_id === null ? null : Number(row.merged_into_id),
    source: row.source,
    version: row.version,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

/** The audit snapshot: the detail without timestamps (they change with every write anyway). */
function snapshot(detail: FacilityDetail) {
  const { createdAt: _c, updatedAt: _u, ...rest } = detail;
  return rest;
}

const STAFF_COLUMNS: Record<keyof StaffInput, keyof FacilityRow> = {
  doctors: 'staff_doctors',
  assistantDoctors: 'staff_assistant_doctors',
  nurses: 'staff_nurses',
  gps: 'staff_gps',
  tcmDoctors: 'staff_tcm_doctors',
  tcmGps: 'staff_tcm_gps',
  villageDoctors: 'staff_village_doctors',
  publicHealth: 'staff_public_health',
  supervisors: 'staff_supervisors',
  tcmCapable: 'staff_tcm_capable',
};

type Attributes = Omit<FacilityUpdate, 'version'>;

/** API attributes → column values (only the ones given). */
function columnsOf(input: Attributes): Partial<Record<keyof FacilityRow, unknown>> {
  const out: Partial<Record<keyof FacilityRow, unknown>> = {};
  const direct: [keyof Attributes, keyof FacilityRow][] = [
    ['name', 'name'],
    ['type', 'type'],
    ['status', 'status'],
    ['grade', 'grade'],
    ['ownership', 'ownership'],
    ['runByLevel', 'run_by_level'],
    ['central', 'central'],
    ['unitCode', 'unit_code'],
    ['beds', 'beds'],
    ['bedsPaediatric', 'beds_paediatric'],
    ['departments', 'departments'],
    ['tcmHallLevel', 'tcm_hall_level'],
    ['tcmTechniqueCategories', 'tcm_technique_categories'],
    ['tcmTechniques', 'tcm_techniques'],
    ['providesDeliveries', 'provides_deliveries'],
    ['villagesServed', 'villages_served'],
    ['source', 'source'],
  ];
  for (const [key, column] of direct) if (input[key] !== undefined) out[column] = input[key];
  for (const [key, column] of Object.entries(STAFF_COLUMNS) as [keyof StaffInput, keyof FacilityRow][]) {
    if (input.staff?.[key] !== undefined) out[column] = input.staff[key];
  }
  if (out.name !== undefined) out.name = String(out.name).trim();
  if (Array.isArray(out.departments)) out.departments = [...(out.departments as string[])].sort();
  if (Array.isArray(out.villages_served)) out.villages_served = [...(out.villages_served as string[])].sort();
  return out;
}

function invalid(en: string, zh: string, details: ErrorDetail[], code: 'InvalidBody' | 'InvalidLocation' = 'InvalidBody'): AppError {
  return new AppError(code, 400, { en, zh }, details);
}

interface Merged {
  type: string;
  central: boolean;
  beds: number | null;
  beds_paediatric: number | null;
  unit_code: string | null;
  lon: number;
  lat: number;
  villages_served: string[];
}

/**
 * Checks that need the whole (merged) facility and the database. Returns the
 * unit code, inferred from the location when none is given.
 */
async function validate(trx: Transaction<Database>, merged: Merged, checkPlace: boolean): Promise<string> {
  const details: ErrorDetail[] = [];
  if (merged.central && merged.type !== 'township_health_centre') {
    details.push({ field: 'central', value: true, en: 'only a township health centre can be a central one (中心卫生院)', zh: '只有苏木乡镇卫生院才能是中心卫生院' });
  }
  if (merged.beds !== null && merged.beds_paediatric !== null && merged.beds_paediatric > merged.beds) {
    details.push({ field: 'bedsPaediatric', value: merged.beds_paediatric, en: `paediatric beds (${merged.beds_paediatric}) exceed all beds (${merged.beds})`, zh: `儿科床位数（${merged.beds_paediatric}）超过总床位数（${merged.beds}）` });
  }
  if (merged.villages_served.length > 0) {
    const found = new Set((await trx.selectFrom('admin_unit').select('code').where('code', 'in', merged.villages_served).where('level', '=', 'village').execute()).map((r) => r.code));
    const missing = merged.villages_served.filter((c) => !found.has(c));
    if (missing.length > 0) details.push({ field: 'villagesServed', value: missing, en: `no village has the code(s) ${missing.join(', ')}`, zh: `不存在代码为 ${missing.join('、')} 的嘎查村` });
  }
  if (details.length > 0) throw invalid(`Invalid facility: ${details.map((d) => d.en).join('; ')}.`, `机构信息有误：${details.map((d) => d.zh).join('；')}。`, details);

  let unit = merged.unit_code;
  if (!checkPlace && unit) return unit;
  const placement = (await checkPlacements(trx, [{ ord: 1, lon: merged.lon, lat: merged.lat, unitCode: unit }])).get(1)!;
  const where = `(${merged.lon.toFixed(6)}, ${merged.lat.toFixed(6)})`;
  if (placement.region === 'out') {
    throw invalid(
      `The location ${where} is outside Inner Mongolia (more than ~2 km beyond the region boundary). Check the coordinates (longitude first) and their system (crs).`,
      `位置 ${where} 在内蒙古自治区范围之外（超出区界约 2 公里以上）。请检查坐标（经度在前）及坐标系（crs）。`,
      [{ field: 'location', value: [merged.lon, merged.lat], en: 'outside Inner Mongolia', zh: '位于内蒙古自治区范围之外' }],
      'InvalidLocation',
    );
  }
  if (unit === null) {
    if (!placement.inferredCode) {
      throw invalid('Give unitCode: the location is not inside any banner.', '请填写 unitCode：该位置不在任何旗县范围内。', [{ field: 'unitCode', en: 'required here', zh: '此处必填' }], 'InvalidLocation');
    }
    unit = placement.inferredCode;
  } else if (!placement.unitFound) {
    throw invalid(`No administrative unit has the code ${unit}.`, `不存在代码为 ${unit} 的行政区划。`, [{ field: 'unitCode', value: unit, en: 'unknown unit code', zh: '未知的区划代码' }]);
  } else if (placement.unitCheck === 'out') {
    throw invalid(
      `The location ${where} is outside ${placement.checkedAgainstName} (${placement.checkedAgainst}), the ${placement.checkedAgainst === unit ? 'unit given' : `banner of unit ${unit} ${placement.unitName}`}. Check the coordinates or the unit code.`,
      `位置 ${where} 不在${placement.checkedAgainstName}（${placement.checkedAgainst}）范围内（${placement.checkedAgainst === unit ? '即所填区划' : `所填区划 ${unit} ${placement.unitName} 所属旗县`}）。请检查坐标或区划代码。`,
      [{ field: 'location', value: [merged.lon, merged.lat], en: `outside ${placement.checkedAgainst}`, zh: `不在 ${placement.checkedAgainst} 范围内` }],
      'InvalidLocation',
    );
  }
  return unit;
}

async function detailOf(trx: Kysely<Database>, id: number): Promise<FacilityDetail> {
  const row = await findFacility(trx, id);
  if (!row) throw facilityNotFound(id);
  return toDetail(row);
}

export interface EditContext {
  actor: Actor;
  /** Scope check for a unit only known after validation (inferred from the location). */
  authorizeUnit?: (unitCode: string, db: Kysely<Database>) => Promise<void>;
}

export async function createFacility(db: Kysely<Database>, input: FacilityCreate, ctx: EditContext): Promise<FacilityDetail> {
  return db.transaction().execute(async (trx) => {
    const [lon, lat] = toWgs84(input.location.lon, input.location.lat, (input.crs ?? 'wgs84') as InputCrs);
    const columns = columnsOf(input);
    const unit = await validate(
      trx,
      {
        type: input.type,
        central: input.central ?? false,
        beds: input.beds ?? null,
        beds_paediatric: input.bedsPaediatric ?? null,
        unit_code: input.unitCode ?? null,
        lon,
        lat,
        villages_served: input.villagesServed ?? [],
      },
      true,
    );
    if (!input.unitCode) await ctx.authorizeUnit?.(unit, trx);
    const taken = await trx.selectFrom('facility').select(['id', 'name']).where('code', '=', input.code.trim()).executeTakeFirst();
    if (taken) {
      throw new AppError('Conflict', 409, {
        en: `The code ${input.code} is already used by facility ${taken.id} (${taken.name}). Codes are unique; edit that facility instead.`,
        zh: `机构编码 ${input.code} 已被机构 ${taken.id}（${taken.name}）使用。编码必须唯一；请改为编辑该机构。`,
      }, undefined, { existingId: Number(taken.id) });
    }
    const row = await trx
      .insertInto('facility')
      .values({ ...(columns as Partial<NewFacility>), code: input.code.trim(), name: input.name.trim(), type: input.type, unit_code: unit, location: pointFromLonLat(lon, lat) } as NewFacility)
      .returning('id')
      .executeTakeFirstOrThrow();
    const detail = await detailOf(trx, Number(row.id));
    const dataVersion = await bumpDataVersion(trx);
    await writeAudit(trx, { actor: ctx.actor.id, action: 'facility.create', entityType: 'facility', entityId: detail.id, after: snapshot(detail), details: { code: detail.code, dataVersion } });
    return detail;
  });
}

async function lockCurrent(trx: Transaction<Database>, id: number, version: number) {
  const current = await trx
    .selectFrom('facility')
    .selectAll()
    .select([sql<number>`ST_X(location)`.as('lon'), sql<number>`ST_Y(location)`.as('lat')])
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
  if (!current) throw facilityNotFound(id);
  if (current.version !== version) throw versionConflict('facility', current.version, version);
  return current;
}

export async function updateFacility(db: Kysely<Database>, id: number, input: FacilityUpdate, ctx: EditContext): Promise<FacilityDetail> {
  return db.transaction().execute(async (trx) => {
    const current = await lockCurrent(trx, id, input.version);
    const { version: _v, crs, location, ...attributes } = input;
    const columns = columnsOf(attributes);
    let point: [number, number] = [current.lon, current.lat];
    if (location) point = toWgs84(location.lon, location.lat, (crs ?? 'wgs84') as InputCrs);
    const moved = location !== undefined && (Math.abs(point[0] - current.lon) > 1e-9 || Math.abs(point[1] - current.lat) > 1e-9);
    const pick = <K extends keyof FacilityRow>(k: K) => (columns[k] !== undefined ? (columns[k] as FacilityRow[K]) : current[k]);
    await validate(
      trx,
      {
        type: pick('type'),
        central: pick('central'),
        beds: pick('beds'),
        beds_paediatric: pick('beds_paediatric'),
        unit_code: pick('unit_code'),
        lon: point[0],
        lat: point[1],
        villages_served: pick('villages_served'),
      },
      moved || columns.unit_code !== undefined,
    );
    if (columns.merged_into_id !== undefined) delete columns.merged_into_id;
    const changed = (Object.keys(columns) as (keyof FacilityRow)[]).filter((k) => JSON.stringify(columns[k]) !== JSON.stringify(current[k]));
    if (moved) changed.push('location');
    const before = await detailOf(trx, id);
    if (changed.length === 0) return before;
    const set: FacilityUpdateRow = {};
    for (const k of changed) if (k !== 'location') (set as Record<string, unknown>)[k] = columns[k];
    if (moved) set.location = pointFromLonLat(point[0], point[1]) as unknown as string;
    const updated = await trx
      .updateTable('facility')
      .set({ ...set, version: sql`version + 1`, updated_at: sql`now()` })
      .where('id', '=', id)
      .where('version', '=', input.version)
      .returning('id')
      .executeTakeFirst();
    if (!updated) throw versionConflict('facility', input.version + 1, input.version);
    const after = await detailOf(trx, id);
    const dataVersion = await bumpDataVersion(trx);
    await writeAudit(trx, {
      actor: ctx.actor.id,
      action: 'facility.update',
      entityType: 'facility',
      entityId: id,
      before: snapshot(before),
      after: snapshot(after),
      details: { code: after.code, changed, dataVersion },
    });
    return after;
  });
}

export async function closeFacility(db: Kysely<Database>, id: number, input: FacilityClose, ctx: EditContext): Promise<FacilityDetail> {
  return db.transaction().execute(async (trx) => {
    const current = await lockCurrent(trx, id, input.version);
    if (current.status === 'closed') {
      throw new AppError('Conflict', 409, {
        en: `Facility ${id} (${current.name}) is already closed. To reopen it, PATCH its status to open.`,
        zh: `机构 ${id}（${current.name}）已关闭。如需重新开放，请将其状态改为“运营”。`,
      }, undefined, { currentVersion: current.version });
    }
    if (input.mergedIntoId !== undefined) {
      const target = await trx.selectFrom('facility').select(['id', 'status', 'name']).where('id', '=', input.mergedIntoId).executeTakeFirst();
      const problem =
        input.mergedIntoId === id
          ? { en: 'a facility cannot be merged into itself', zh: '机构不能合并到自身' }
          : !target
            ? { en: `no facility has the id ${input.mergedIntoId}`, zh: `不存在编号为 ${input.mergedIntoId} 的机构` }
            : target.status === 'closed'
              ? { en: `facility ${target.id} (${target.name}) is closed itself`, zh: `机构 ${target.id}（${target.name}）本身已关闭` }
              : null;
      if (problem) throw invalid(`Cannot merge: ${problem.en}.`, `无法合并：${problem.zh}。`, [{ field: 'mergedIntoId', value: input.mergedIntoId, ...problem }]);
    }
    const before = await detailOf(trx, id);
    await trx
      .updateTable('facility')
      .set({ status: 'closed', merged_into_id: input.mergedIntoId ?? null, version: sql`version + 1`, updated_at: sql`now()` })
      .where('id', '=', id)
      .where('version', '=', input.version)
      .execute();
    const after = await detailOf(trx, id);
    const dataVersion = await bumpDataVersion(trx);
    await writeAudit(trx, {
      actor: ctx.actor.id,
      action: 'facility.close',
      entityType: 'facility',
      entityId: id,
      before: snapshot(before),
      after: snapshot(after),
      details: { code: after.code, reason: input.reason ?? null, mergedIntoId: input.mergedIntoId ?? null, dataVersion },
    });
    return after;
  });
}

export async function facilityHistory(db: Kysely<Database>, id: number) {
  const exists = await db.selectFrom('facility').select('id').where('id', '=', id).executeTakeFirst();
  if (!exists) throw facilityNotFound(id);
  const rows = await db
    .selectFrom('audit_log')
    .select(['id', 'at', 'actor', 'action', 'before', 'after', 'details'])
    .where('entity_type', '=', 'facility')
    .where('entity_id', '=', String(id))
    .orderBy('id', 'desc')
    .limit(200)
    .execute();
  return rows.map((r) => ({ id: Number(r.id), at: new Date(r.at).toISOString(), actor: r.actor, action: r.action, before: r.before, after: r.after, details: r.details }));
}
