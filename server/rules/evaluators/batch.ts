/**
 * The shared machinery of the facility-based kinds (presence, facility
 * requirement, share, ratio): one statement per kind that scans the facilities
 * in scope once, computes every rule's per-facility conditions once (x), and
 * aggregates them for every level at once with GROUPING SETS. Units are loaded
 * once per evaluation (loadUnits) and joined to the aggregates by (level, code)
 * in memory — a hash lookup, not a query per unit.
 *
 * Each facility is grouped under its *reporting* unit at every level: its
 * ancestor at that level, or, for a facility recorded above that level (a
 * township health centre stored at its banner), the unit it stands in — so
 * facility-requirement rules can still report it (see facilityRequirement.ts).
 */
import { sql, type RawBuilder } from 'kysely';
import type { EvaluationContext } from '../../engine/context.ts';
import type { Level } from '../../domain/taxonomy.ts';
import type { RuleParams } from '../params.ts';
import { col, inJurisdiction, ITEM_CAP, LEVEL_DEPTH, REGION_CODE, statusCondition, type ResolvedScope, type Sql } from '../sql.ts';
import type { Jurisdiction, ResultUnit } from '../types.ts';
import type { EvaluatedRow, EvaluatorInput } from '../registry.ts';
import { unitRef, type UnitColumns } from './common.ts';

export interface UnitRow extends UnitColumns {
  children: number | null;
  has_point: boolean;
  /** The result unit, shared by every result row of this unit. */
  ref?: ResultUnit;
}

/** Units in scope, by code and by level. */
export interface UnitIndex {
  byCode: Map<string, UnitRow>;
  byLevel: Map<Level, UnitRow[]>;
}

const ANCESTOR: Record<Level, string | null> = { region: null, league: 'league_code', banner: 'banner_code', township: 'township_code', village: null };

function unitScopeCondition(scope: ResolvedScope): Sql {
  const parts: Sql[] = [];
  const { code, level } = scope.root;
  if (level === 'village') parts.push(sql`u.code = ${code}`);
  else if (level !== 'region') parts.push(sql`${col('u', ANCESTOR[level]!)} = ${code}`);
  // Leagues and banners are always loaded (few): league and region figures are added up from banners.
  if (scope.units) parts.push(sql`(u.code = ANY(${[...scope.units]}::text[]) OR u.level IN ('region', 'league', 'banner'))`);
  return parts.length === 0 ? sql`TRUE` : sql`(${sql.join(parts, sql` AND `)})`;
}

/** Is a unit one the evaluation asked for (all of them unless `scope.units`)? */
export function unitWanted(scope: ResolvedScope, code: string): boolean {
  return !scope.units || scope.units.includes(code);
}

/** One statement: every unit of the given levels in scope, with what the judges need. */
export function compileUnits(ctx: EvaluationContext, scope: ResolvedScope, levels: readonly Level[]): RawBuilder<UnitRow> {
  return sql<UnitRow>`
    SELECT u.code AS unit_code, u.name AS unit_name, u.level AS unit_level, u.kind AS unit_kind, u.urban AS unit_urban,
      p.kind AS parent_kind, p.urban AS parent_urban, u.population AS population, u.pop_age_0_14 AS children,
      u.point IS NOT NULL AS has_point, u.league_code AS league_code, u.banner_code AS banner_code, u.township_code AS township_code
    FROM ${ctx.units} AS u
    LEFT JOIN ${ctx.units} AS p ON p.code = u.parent_code
    WHERE u.level = ANY(${[...levels]}::text[]) AND ${unitScopeCondition(scope)}
    ORDER BY u.code`;
}

export async function loadUnits(ctx: EvaluationContext, scope: ResolvedScope, levels: readonly Level[]): Promise<UnitIndex> {
  const { rows } = await compileUnits(ctx, scope, levels).execute(ctx.db);
  const byCode = new Map<string, UnitRow>();
  const byLevel = new Map<Level, UnitRow[]>();
  for (const row of rows) {
    row.ref = unitRef(row);
    byCode.set(row.unit_code, row);
    const list = byLevel.get(row.unit_level) ?? [];
    list.push(row);
    byLevel.set(row.unit_level, list);
  }
  return { byCode, byLevel };
}

/** Is a unit inside a rule's jurisdiction? */
export function unitInJurisdiction(unit: UnitColumns, jurisdiction: Jurisdiction | undefined): boolean {
  if (!jurisdiction || jurisdiction.level === 'region') return true;
  switch (jurisdiction.level) {
    case 'league':
      return unit.league_code === jurisdiction.code;
    case 'banner':
      return unit.banner_code === jurisdiction.code;
    case 'township':
      return unit.township_code === jurisdiction.code;
    case 'village':
      return unit.unit_code === jurisdiction.code;
  }
}

/** A facility (f) inside a rule's jurisdiction, as a condition to fold into its flags. */
export function facilityInJurisdiction(jurisdiction: Jurisdiction | undefined): Sql {
  return inJurisdiction(jurisdiction, 'f', false);
}

/** What one rule adds to the batch: per-facility columns over f, and aggregates over x. */
export interface Measure {
  /** [name, expression over the facility row f] — computed once per facility. */
  columns: [string, Sql][];
  /** Over x: may this facility count for the rule at all? Others are dropped before grouping. */
  relevant: Sql;
  /** [name, aggregate over the rows x of one unit]. */
  aggregates: [string, Sql][];
}

/** The reporting key of a facility at a level (see the module comment). */
function reportingKey(level: Level): Sql {
  if (level === 'region') return sql`${REGION_CODE}::text`;
  const chain: Sql[] = [];
  if (level === 'village') chain.push(sql`CASE WHEN length(f.unit_code) = 12 THEN f.unit_code END`);
  if (LEVEL_DEPTH[level] >= LEVEL_DEPTH.township) chain.push(sql`f.township_code`);
  if (LEVEL_DEPTH[level] >= LEVEL_DEPTH.banner) chain.push(sql`f.banner_code`);
  chain.push(sql`f.league_code`, sql`${REGION_CODE}::text`);
  return sql`COALESCE(${sql.join(chain)})`;
}

/** Facilities that can count for a unit of `level` in scope. */
/**
 * Facilities that can count for a unit in scope: in the subtree, and — when the
 * evaluation is restricted to some units — belonging to one of them at one of
 * the levels asked for (a league asked for needs all its banners' facilities).
 */
function facilityScope(scope: ResolvedScope, levels: readonly Level[], indexed = false): Sql {
  const parts: Sql[] = [];
  const { code, level: rootLevel } = scope.root;
  if (rootLevel === 'village') parts.push(sql`f.unit_code = ${code}`);
  else if (rootLevel !== 'region') parts.push(sql`${col('f', ANCESTOR[rootLevel]!)} = ${code}`);
  if (scope.units) {
    const list = [...scope.units];
    parts.push(sql`(${sql.join(levels.map((l) => sql`${reportingKey(l)} = ANY(${list}::text[])`), sql` OR `)})`);
    // The same facilities found through the ancestor columns' indexes (a reporting
    // key is one of these columns unless it is the region).
    if (indexed && !list.includes(REGION_CODE)) {
      parts.push(sql`(f.unit_code = ANY(${list}::text[]) OR f.township_code = ANY(${list}::text[]) OR f.banner_code = ANY(${list}::text[]) OR f.league_code = ANY(${list}::text[]))`);
    }
  }
  return parts.length === 0 ? sql`TRUE` : sql`(${sql.join(parts, sql` AND `)})`;
}

/**
 * One statement aggregating the measures of the rules evaluated at one level:
 * rows of (unit_code, <measure aggregates>). Facilities are computed once (x),
 * those no rule can use are dropped, and the rest are sorted by (unit, id) so
 * that each unit's item lists come out ordered by facility id without a sort
 * per list (the evaluation transaction disables parallel plans, which keeps
 * that order).
 */
export function compileAggregates(
  ctx: EvaluationContext,
  params: RuleParams,
  scope: ResolvedScope,
  level: Level,
  measures: Measure[],
  /** The levels the results are wanted at (the base level and the ones added up from it). */
  wanted: readonly Level[] = [level],
  /** Also select the facilities through the ancestor columns' indexes (a few units of a large set). */
  indexed = false,
): RawBuilder<Record<string, unknown>> {
  const columns = measures.flatMap((m) => m.columns.map(([name, expr]) => sql`${expr} AS ${sql.ref(name)}`));
  const aggregates = measures.flatMap((m) => m.aggregates.map(([name, expr]) => sql`${expr} AS ${sql.ref(name)}`));
  const relevant = sql.join(measures.map((m) => sql`(${m.relevant})`), sql` OR `);
  return sql<Record<string, unknown>>`
    SELECT x.unit_code, ${sql.join(aggregates)}
    FROM (
      SELECT * FROM (
        SELECT f.id, json_build_object('id', f.id, 'code', f.code, 'name', f.name) AS item, ${reportingKey(level)} AS unit_code, ${sql.join(columns)}
        FROM ${ctx.facilities} AS f
        WHERE ${statusCondition('f', params)} AND ${facilityScope(scope, wanted, indexed)}
      ) AS x
      WHERE ${relevant}
      ORDER BY x.unit_code, x.id
    ) AS x
    GROUP BY x.unit_code`;
}

/** Aggregates of one level by unit code. */
export async function aggregateFacilities(
  ctx: EvaluationContext,
  params: RuleParams,
  scope: ResolvedScope,
  level: Level,
  measures: Measure[],
  wanted: readonly Level[] = [level],
  indexed = false,
): Promise<Map<string, Record<string, unknown>>> {
  const { rows } = await compileAggregates(ctx, params, scope, level, measures, wanted, indexed).execute(ctx.db);
  const out = new Map<string, Record<string, unknown>>();
  for (const row of rows) if (row.unit_code !== null) out.set(String(row.unit_code), row);
  return out;
}

/** A capped list of the items (facility id, code, name) of x rows satisfying a condition. */
export function itemsWhere(where: Sql, options: { value?: Sql; order?: Sql } = {}): Sql {
  const item = options.value ? sql`(x.item::jsonb || jsonb_build_object('value', ${options.value}))::json` : sql`x.item`;
  // Rows arrive ordered by (unit, id): no per-list sort unless another order is asked for.
  const agg = options.order ? sql`array_agg(${item} ORDER BY ${options.order})` : sql`array_agg(${item})`;
  return sql`COALESCE(array_to_json((${agg} FILTER (WHERE ${where}))[1:${sql.lit(ITEM_CAP)}]), '[]'::json)`;
}

const NAMES = new Map<string, Map<string, string>>();
/**
 * Column name of a rule's measure in the batch (p = the rule's prefix). Cached:
 * judges look up tens of thousands of rows, and a freshly concatenated key
 * would have to be hashed and internalised on every lookup.
 */
export function name(prefix: string, field: string): string {
  let byField = NAMES.get(prefix);
  if (!byField) NAMES.set(prefix, (byField = new Map()));
  let key = byField.get(field);
  if (key === undefined) byField.set(field, (key = `${prefix}${field}`));
  return key;
}
export const ref = (prefix: string, field: string) => sql.ref(`x.${prefix}${field}`);

/** Read a number from an aggregate row (counts are int8 → numbers; missing group → 0). */
export function num(row: Record<string, unknown> | undefined, field: string): number {
  const v = row?.[field];
  return v === null || v === undefined ? 0 : Number(v);
}

export function list(row: Record<string, unknown> | undefined, field: string): { id: number; code: string; name: string; value?: number | null }[] {
  const v = row?.[field];
  return Array.isArray(v) ? (v as { id: number; code: string; name: string; value?: number | null }[]) : [];
}

/**
 * Every level from the scope's root down to the deepest one asked for, and at
 * least down to banners (league and region figures are added up from banners;
 * orphans report to ancestors).
 */
export function levelsDownTo(levels: readonly Level[], root: Level): Level[] {
  const deepest = Math.max(LEVEL_DEPTH.banner, ...levels.map((l) => LEVEL_DEPTH[l]));
  return (['region', 'league', 'banner', 'township', 'village'] as Level[]).filter((l) => LEVEL_DEPTH[l] >= LEVEL_DEPTH[root] && LEVEL_DEPTH[l] <= deepest);
}

/** How one facility-based kind plugs into the batch. */
export interface BatchKind<S> {
  measure(input: EvaluatorInput<S>, prefix: string): Measure;
  judge(input: EvaluatorInput<S>, unit: UnitRow, aggregate: Record<string, unknown> | undefined, prefix: string): EvaluatedRow;
  /** Also report facilities grouped under a unit of another level (facility requirements). */
  reportsOrphans?: boolean;
  /** Does an aggregate row hold anything for this rule (used for orphans)? */
  hasFacilities?(aggregate: Record<string, unknown>, prefix: string): boolean;
}

export interface BatchEntry {
  input: EvaluatorInput<unknown>;
  kind: BatchKind<unknown>;
}

/** Every level the entries need units of: their own levels and the base levels they are computed at. */
function levelsOf(entries: BatchEntry[], root: Level): Level[] {
  const all = entries.flatMap((e) => [...e.input.levels, levelInScopeOrRoot(baseLevel(e.input.levels), root)]);
  return [...new Set(all)].sort((a, b) => LEVEL_DEPTH[a] - LEVEL_DEPTH[b]);
}

/** The statements of a batch, one per base level (for snapshots). */
export function compileBatches(entries: BatchEntry[]): RawBuilder<Record<string, unknown>> {
  const { ctx, params, scope } = entries[0]!.input;
  const baseOf = (e: BatchEntry) => levelInScopeOrRoot(baseLevel(e.input.levels), scope.root.level);
  const bases = [...new Set(entries.map(baseOf))].sort((a, b) => LEVEL_DEPTH[a] - LEVEL_DEPTH[b]);
  const parts = bases.map((level) => {
    const members = entries.filter((e) => baseOf(e) === level);
    const measures = entries.flatMap((e, i) => (baseOf(e) === level ? [e.kind.measure(e.input, `r${i}_`)] : []));
    const wanted = [...new Set(members.flatMap((e) => e.input.levels))];
    return sql`-- level ${sql.lit(level)}\n${compileAggregates(ctx, params.rules, scope, level, measures, wanted)}`;
  });
  return sql<Record<string, unknown>>`${sql.join(parts, sql`;\n`)}`;
}

export function compileBatch<S>(inputs: EvaluatorInput<S>[], kind: BatchKind<S>): RawBuilder<Record<string, unknown>> {
  return compileBatches(inputs.map((input) => ({ input: input as EvaluatorInput<unknown>, kind: kind as BatchKind<unknown> })));
}

/**
 * The level a rule's aggregates are computed at: its deepest level, but never
 * above banners — league and region figures are sums of their banners' (counts
 * and sums add up; capped item lists merge), so they need no scan of their own.
 */
function baseLevel(levels: readonly Level[]): Level {
  const deepest = levels.reduce((a, b) => (LEVEL_DEPTH[b] > LEVEL_DEPTH[a] ? b : a));
  return LEVEL_DEPTH[deepest] < LEVEL_DEPTH.banner ? 'banner' : deepest;
}

type Item = { id: number; value?: number | null };

/** Merge capped, ordered item lists: the first ITEM_CAP of the union are among each list's first ITEM_CAP. */
function mergeItems(a: Item[], b: Item[]): Item[] {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const byValue = a[0]!.value !== undefined || b[0]!.value !== undefined;
  return [...a, ...b]
    .sort((x, y) => (byValue ? Number(x.value ?? Infinity) - Number(y.value ?? Infinity) : 0) || x.id - y.id)
    .slice(0, ITEM_CAP);
}

/** Aggregates of the units of `target` level, added up from rows keyed by units of a deeper level. */
function rollUp(rows: Map<string, Record<string, unknown>>, units: UnitIndex, target: Level): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const [code, row] of rows) {
    const unit = units.byCode.get(code);
    const key =
      target === 'region'
        ? REGION_CODE
        : target === 'league'
          ? (unit?.league_code ?? (unit?.unit_level === 'league' ? code : null))
          : target === 'banner'
            ? (unit?.banner_code ?? null)
            : null;
    if (key === null) continue;
    const acc = out.get(key);
    if (!acc) {
      out.set(key, { ...row, unit_code: key });
      continue;
    }
    for (const [field, value] of Object.entries(row)) {
      if (field === 'unit_code') continue;
      if (Array.isArray(value)) acc[field] = mergeItems((acc[field] as Item[]) ?? [], value as Item[]);
      else if (value !== null && value !== undefined) acc[field] = Number(acc[field] ?? 0) + Number(value);
    }
  }
  return out;
}

/** The ancestor columns of a facility row that decide its reporting unit at each level. */
export interface FacilityPlace {
  unit_code: string;
  township_code: string | null;
  banner_code: string | null;
  league_code: string | null;
}

/**
 * Aggregate rows kept from a full evaluation (root: the region, every unit), so
 * that a re-evaluation of a few units over a changed facility set (a scenario)
 * rescans only the reporting units whose facilities differ — league and region
 * figures would otherwise need every banner's facilities scanned again. The
 * owner keeps it for one data version and facility set (the scenario engine
 * keeps one per baseline evaluation); `changed` lists the facilities (as they
 * were and as they are) that differ from that set.
 */
export interface AggregateReuse {
  /** Statement key (measures, level, levels wanted) → rows by reporting unit; filled by a full evaluation. */
  rows: Map<string, Map<string, Record<string, unknown>>>;
  /** Facilities (before and after) that differ from the ones the rows were computed from; unset = record. */
  changed?: readonly FacilityPlace[];
}

/** A facility's reporting unit at a base level: JS twin of reportingKey(). */
function reportingCode(f: FacilityPlace, level: Level): string {
  const village = level === 'village' && f.unit_code.length === 12 ? f.unit_code : null;
  const township = LEVEL_DEPTH[level] >= LEVEL_DEPTH.township ? f.township_code : null;
  const banner = LEVEL_DEPTH[level] >= LEVEL_DEPTH.banner ? f.banner_code : null;
  return village ?? township ?? banner ?? f.league_code ?? REGION_CODE;
}

/** What makes two aggregate statements equal except for the facility relation and scope. */
function statementKey(ctx: EvaluationContext, params: RuleParams, level: Level, measures: Measure[], wanted: readonly Level[]): string {
  const columns = measures.flatMap((m) => m.columns.map(([name, expr]) => sql`${expr} AS ${sql.ref(name)}`));
  const aggregates = measures.flatMap((m) => m.aggregates.map(([name, expr]) => sql`${expr} AS ${sql.ref(name)}`));
  const relevant = sql.join(measures.map((m) => sql`(${m.relevant})`), sql` OR `);
  const compiled = sql`${statusCondition('f', params)} | ${sql.join(columns)} | ${relevant} | ${sql.join(aggregates)}`.compile(ctx.db);
  return JSON.stringify([level, [...wanted].sort(), compiled.sql, compiled.parameters]);
}

/**
 * The aggregates of one base level, reusing kept rows where `reuse` allows:
 * the kept rows with those of the reporting units a changed facility belongs
 * (or belonged) to recomputed — the same rows a full scan would give, since a
 * row depends only on the facilities reporting to its unit.
 */
async function aggregatesOf(
  ctx: EvaluationContext,
  params: RuleParams,
  scope: ResolvedScope,
  level: Level,
  measures: Measure[],
  wanted: readonly Level[],
  reuse: AggregateReuse | undefined,
): Promise<Map<string, Record<string, unknown>>> {
  if (!reuse || scope.root.level !== 'region') return aggregateFacilities(ctx, params, scope, level, measures, wanted);
  const key = statementKey(ctx, params, level, measures, wanted);
  if (!reuse.changed) {
    const rows = await aggregateFacilities(ctx, params, scope, level, measures, wanted);
    if (!scope.units) reuse.rows.set(key, rows);
    return rows;
  }
  const kept = reuse.rows.get(key);
  if (!kept) return aggregateFacilities(ctx, params, scope, level, measures, wanted);
  const codes = [...new Set(reuse.changed.map((f) => reportingCode(f, level)))].sort();
  const fresh = codes.length === 0 ? new Map<string, Record<string, unknown>>() : await aggregateFacilities(ctx, params, { root: scope.root, units: codes }, level, measures, [level], true);
  const out = new Map(kept);
  for (const code of codes) out.delete(code);
  for (const [code, row] of fresh) out.set(code, row);
  return out;
}

/**
 * Run batched rules of any batchable kinds together: one aggregate statement
 * per base level (banner, township, village) for all of them, higher levels
 * added up in memory, then each rule judged at each unit. Results in the
 * order of `entries`. `reuse`: see AggregateReuse.
 */
export async function runBatches(entries: BatchEntry[], reuse?: AggregateReuse): Promise<EvaluatedRow[][]> {
  if (entries.length === 0) return [];
  const { ctx, params, scope } = entries[0]!.input;
  const units = entries[0]!.input.units ?? (await loadUnits(ctx, scope, levelsDownTo(levelsOf(entries, scope.root.level), scope.root.level)));
  const out: EvaluatedRow[][] = entries.map(() => []);
  const planned = entries.map((e, i) => ({ ...e, i, prefix: `r${i}_`, base: levelInScopeOrRoot(baseLevel(e.input.levels), scope.root.level) }));
  const bases = [...new Set(planned.map((p) => p.base))];
  for (const base of bases) {
    const members = planned.filter((p) => p.base === base);
    const wanted = [...new Set(members.flatMap((m) => m.input.levels))];
    let aggregates = await aggregatesOf(ctx, params.rules, scope, base, members.map((m) => m.kind.measure(m.input, m.prefix)), wanted, reuse);
    if (reuse?.changed && scope.units && !wanted.includes('region')) {
      // Kept rows cover every unit; only those of loaded units are judged or rolled up (others have no key).
      aggregates = new Map([...aggregates].filter(([code]) => units.byCode.has(code)));
    }
    const byLevel = new Map<Level, Map<string, Record<string, unknown>>>([[base, aggregates]]);
    for (const { input, kind, i, prefix } of members) {
      const rows = out[i]!;
      const jurisdiction = input.rule.jurisdiction;
      for (const level of input.levels) {
        if (!byLevel.has(level)) byLevel.set(level, rollUp(aggregates, units, level));
        const atLevel = byLevel.get(level)!;
        for (const unit of units.byLevel.get(level) ?? []) {
          if (jurisdiction && !unitInJurisdiction(unit, jurisdiction)) continue;
          if (scope.units && !unitWanted(scope, unit.unit_code)) continue;
          rows.push(kind.judge(input, unit, atLevel.get(unit.unit_code), prefix));
        }
        if (!kind.reportsOrphans || level !== base) continue;
        for (const [code, aggregate] of aggregates) {
          const unit = units.byCode.get(code);
          if (!unit || unit.unit_level === level || !unitInJurisdiction(unit, jurisdiction) || !unitWanted(scope, unit.unit_code)) continue;
          if (kind.hasFacilities?.(aggregate, prefix)) rows.push(kind.judge(input, unit, aggregate, prefix));
        }
      }
    }
  }
  return out;
}

/** A base level above the scope's root (a banner rule while evaluating a township) becomes the root's level. */
function levelInScopeOrRoot(level: Level, root: Level): Level {
  return LEVEL_DEPTH[level] < LEVEL_DEPTH[root] ? root : level;
}

export function runBatch<S>(inputs: EvaluatorInput<S>[], kind: BatchKind<S>): Promise<EvaluatedRow[][]> {
  return runBatches(inputs.map((input) => ({ input: input as EvaluatorInput<unknown>, kind: kind as BatchKind<unknown> })));
}
