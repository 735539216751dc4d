/**
 * What the access engine reads, always through an EvaluationContext (so a
 * scenario's relations are read exactly like the baseline's), into flat typed
 * arrays. Cells are the bulk (hundreds of thousands of rows): they travel as
 * one packed binary value per query instead of one JS object per row, which is
 * several times faster on both engines.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { EvaluationContext } from '../engine/context.ts';
import { LEVELS, type Level } from '../domain/taxonomy.ts';
import { toEcef, type EcefPoints } from './geodesic.ts';
import { classMask, statusCondition } from './classes.ts';
import { spatialOrder } from './sort.ts';
import type { AccessParams } from './params.ts';

export const LEVEL_INDEX: Record<Level, number> = { region: 0, league: 1, banner: 2, township: 3, village: 4 };
export const LEVEL_COUNT = LEVELS.length;

export interface UnitTable {
  count: number;
  codes: string[];
  names: string[];
  levels: Level[];
  /** Resident population as stored on the unit (null when unknown). */
  population: (number | null)[];
  index: Map<string, number>;
  /** count × 5: index of the unit's ancestor at each level (region … village; itself at its own level), -1 when none. */
  ancestors: Int32Array;
  /** The unit or its township is urban (街道 / 社区): urban travel mode applies. */
  urban: Uint8Array;
  /** The unit or an ancestor is flagged mobile_service. */
  mobile: Uint8Array;
  /** The unit's own mobile_service flag. */
  mobileOwn: Uint8Array;
  urbanOwn: Uint8Array;
}

export interface CellSet {
  count: number;
  ids: Float64Array;
  lon: Float64Array;
  lat: Float64Array;
  ecef: EcefPoints;
  population: Float64Array;
  sizeM: Float64Array;
  /** Index of the cell's unit in the UnitTable, -1 when the unit is unknown. */
  unit: Int32Array;
  synthetic: Uint8Array;
  /** Cell indexes in spatial (Z) order. */
  order: Uint32Array;
}

export interface FacilitySet {
  count: number;
  ids: Float64Array;
  lon: Float64Array;
  lat: Float64Array;
  ecef: EcefPoints;
  /** Bit k set: member of class k. 0 = provides none of the classes' care (or removed in an update). */
  mask: Int32Array;
  synthetic: Uint8Array;
}

export function unitsQuery(ctx: EvaluationContext): RawBuilder<UnitRow> {
  return sql<UnitRow>`
    SELECT u.code, u.parent_code, u.level, u.name, u.population, u.urban, u.mobile_service,
           u.league_code, u.banner_code, u.township_code
    FROM ${ctx.units} AS u
    ORDER BY u.code`;
}

interface UnitRow {
  code: string;
  parent_code: string | null;
  level: Level;
  name: string;
  population: number | null;
  urban: boolean;
  mobile_service: boolean;
  league_code: string | null;
  banner_code: string | null;
  township_code: string | null;
}

export async function loadUnits(ctx: EvaluationContext): Promise<UnitTable> {
  const { rows } = await unitsQuery(ctx).execute(ctx.db);
  return buildUnitTable(rows);
}

export function buildUnitTable(rows: UnitRow[]): UnitTable {
  const count = rows.length;
  const index = new Map<string, number>();
  rows.forEach((r, i) => index.set(r.code, i));
  const ancestors = new Int32Array(count * LEVEL_COUNT).fill(-1);
  const urbanOwn = new Uint8Array(count);
  const mobileOwn = new Uint8Array(count);
  const roots = rows.flatMap((r, i) => (r.parent_code === null ? [i] : []));
  const root = roots.length === 1 ? roots[0]! : -1;
  rows.forEach((r, i) => {
    const a = i * LEVEL_COUNT;
    ancestors[a + LEVEL_INDEX.region] = root;
    ancestors[a + LEVEL_INDEX.league] = r.league_code ? (index.get(r.league_code) ?? -1) : -1;
    ancestors[a + LEVEL_INDEX.banner] = r.banner_code ? (index.get(r.banner_code) ?? -1) : -1;
    ancestors[a + LEVEL_INDEX.township] = r.township_code ? (index.get(r.township_code) ?? -1) : -1;
    ancestors[a + LEVEL_INDEX[r.level]] = i;
    urbanOwn[i] = r.urban ? 1 : 0;
    mobileOwn[i] = r.mobile_service ? 1 : 0;
  });
  const table: UnitTable = {
    count,
    codes: rows.map((r) => r.code),
    names: rows.map((r) => r.name),
    levels: rows.map((r) => r.level),
    population: rows.map((r) => (r.population === null ? null : Number(r.population))),
    index,
    ancestors,
    urban: new Uint8Array(count),
    mobile: new Uint8Array(count),
    mobileOwn,
    urbanOwn,
  };
  deriveUnitFlags(table);
  return table;
}

/**
 * Effective flags: urban when the unit or its township is urban (a 社区 in a 镇,
 * or any unit of a 街道); mobile when the unit or any ancestor is flagged, since
 * a flagged sumu covers all its gacha.
 */
export function deriveUnitFlags(table: UnitTable): void {
  for (let i = 0; i < table.count; i++) {
    const a = i * LEVEL_COUNT;
    const township = table.ancestors[a + LEVEL_INDEX.township]!;
    table.urban[i] = table.urbanOwn[i] || (township >= 0 && table.urbanOwn[township]) ? 1 : 0;
    let mobile = 0;
    for (let l = 0; l < LEVEL_COUNT; l++) {
      const u = table.ancestors[a + l]!;
      if (u >= 0 && table.mobileOwn[u]) mobile = 1;
    }
    table.mobile[i] = mobile;
  }
}

// One packed record per cell: id int8, lon float8, lat float8, population int4,
// cell size int4, unit code as int8, synthetic as one byte = 41 bytes.
const CELL_RECORD = 41;

/** The cell query (snapshotted in tests): everything the engine needs, packed. */
export function cellsQuery(ctx: EvaluationContext, where?: RawBuilder<unknown>): RawBuilder<{ n: number; packed: Uint8Array | null }> {
  return sql<{ n: number; packed: Uint8Array | null }>`
    SELECT count(*)::int AS n,
           string_agg(int8send(c.id) || float8send(ST_X(c.location)) || float8send(ST_Y(c.location))
                      || int4send(c.population) || int4send(c.cell_size_m) || int8send(c.unit_code::int8)
                      || CASE WHEN c.synthetic THEN '\\x01'::bytea ELSE '\\x00'::bytea END, ''::bytea) AS packed
    FROM ${ctx.cells} AS c
    ${where ? sql`WHERE ${where}` : sql``}`;
}

export interface RawCells {
  count: number;
  ids: Float64Array;
  lon: Float64Array;
  lat: Float64Array;
  population: Float64Array;
  sizeM: Float64Array;
  unitCodes: string[];
  synthetic: Uint8Array;
}

function bytes(value: Uint8Array | null): DataView {
  if (!value) return new DataView(new ArrayBuffer(0));
  return new DataView(value.buffer, value.byteOffset, value.byteLength);
}

export async function readCells(ctx: EvaluationContext, where?: RawBuilder<unknown>): Promise<RawCells> {
  const { rows } = await cellsQuery(ctx, where).execute(ctx.db);
  const view = bytes(rows[0]?.packed ?? null);
  const count = view.byteLength / CELL_RECORD;
  if (!Number.isInteger(count) || count !== (rows[0]?.n ?? 0)) throw new Error(`cell records: ${view.byteLength} bytes for ${rows[0]?.n} cells`);
  const raw: RawCells = {
    count,
    ids: new Float64Array(count),
    lon: new Float64Array(count),
    lat: new Float64Array(count),
    population: new Float64Array(count),
    sizeM: new Float64Array(count),
    unitCodes: new Array<string>(count),
    synthetic: new Uint8Array(count),
  };
  for (let i = 0, o = 0; i < count; i++, o += CELL_RECORD) {
    raw.ids[i] = Number(view.getBigInt64(o));
    raw.lon[i] = view.getFloat64(o + 8);
    raw.lat[i] = view.getFloat64(o + 16);
    raw.population[i] = view.getInt32(o + 24);
    raw.sizeM[i] = view.getInt32(o + 28);
    raw.unitCodes[i] = view.getBigInt64(o + 32).toString();
    raw.synthetic[i] = view.getUint8(o + 40);
  }
  return raw;
}

/** Codes as stored: NBS codes never start with 0, so the int8 round trip is exact. */
export function buildCellSet(raw: RawCells, units: UnitTable): CellSet {
  const unit = new Int32Array(raw.count);
  for (let i = 0; i < raw.count; i++) unit[i] = units.index.get(raw.unitCodes[i]!) ?? -1;
  return {
    count: raw.count,
    ids: raw.ids,
    lon: raw.lon,
    lat: raw.lat,
    ecef: toEcef(raw.lon, raw.lat),
    population: raw.population,
    sizeM: raw.sizeM,
    unit,
    synthetic: raw.synthetic,
    order: spatialOrder(raw.lon, raw.lat),
  };
}

export async function loadCells(ctx: EvaluationContext, units: UnitTable): Promise<CellSet> {
  return buildCellSet(await readCells(ctx), units);
}

// id int8, lon float8, lat float8, class mask int4, synthetic byte = 29 bytes.
const FACILITY_RECORD = 29;

/** The facility query (snapshotted in tests): every facility that provides care of some class. */
export function facilitiesQuery(
  ctx: EvaluationContext,
  params: AccessParams,
  ids?: readonly number[],
): RawBuilder<{ n: number; packed: Uint8Array | null }> {
  return sql<{ n: number; packed: Uint8Array | null }>`
    SELECT count(*)::int AS n,
           string_agg(int8send(m.id) || float8send(ST_X(m.location)) || float8send(ST_Y(m.location))
                      || int4send(m.mask) || CASE WHEN m.synthetic THEN '\\x01'::bytea ELSE '\\x00'::bytea END, ''::bytea) AS packed
    FROM (
      SELECT f.id, f.location, f.synthetic, ${classMask(params, 'f')} AS mask
      FROM ${ctx.facilities} AS f
      WHERE ${statusCondition(params, 'f')}
        ${ids ? sql`AND f.id = ANY(${ids.map(String)}::int8[])` : sql``}
    ) AS m
    WHERE m.mask <> 0`;
}

export async function loadFacilities(ctx: EvaluationContext, params: AccessParams, ids?: readonly number[]): Promise<FacilitySet> {
  const { rows } = await facilitiesQuery(ctx, params, ids).execute(ctx.db);
  const view = bytes(rows[0]?.packed ?? null);
  const count = view.byteLength / FACILITY_RECORD;
  if (!Number.isInteger(count) || count !== (rows[0]?.n ?? 0)) throw new Error(`facility records: ${view.byteLength} bytes for ${rows[0]?.n} rows`);
  const ids2 = new Float64Array(count);
  const lon = new Float64Array(count);
  const lat = new Float64Array(count);
  const mask = new Int32Array(count);
  const synthetic = new Uint8Array(count);
  for (let i = 0, o = 0; i < count; i++, o += FACILITY_RECORD) {
    ids2[i] = Number(view.getBigInt64(o));
    lon[i] = view.getFloat64(o + 8);
    lat[i] = view.getFloat64(o + 16);
    mask[i] = view.getInt32(o + 24);
    synthetic[i] = view.getUint8(o + 28);
  }
  return { count, ids: ids2, lon, lat, ecef: toEcef(lon, lat), mask, synthetic };
}

/** The data version every cache key and ETag includes. */
export async function readDataVersion(db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('data_state').select('data_version').where('id', '=', 1).executeTakeFirst();
  return Number(row?.data_version ?? 0);
}
