/**
 * Unit-subtree limits for editors ("one banner's staff must not change another
 * banner's data"). An editor may carry a unit code (league, banner or township);
 * everything they change must lie in that unit's subtree. Admins and editors
 * without a unit are unlimited; roles below editor cannot edit at all.
 *
 * Route authors: the policy table (policy.ts) checks targets it can read from
 * params/query/body. When the unit is only known inside the handler (an import's
 * rows, a unit derived from coordinates), call:
 *
 *   await assertCanEditUnit(request, unitCode);           // one unit
 *   await assertCanEditUnits(request, codes);             // many, one query
 *   await assertCanEditFacility(request, facilityId);     // the facility's current unit
 *
 * before writing; each throws 403 OutOfScope naming the offending codes.
 */
import { sql, type Kysely } from 'kysely';
import gcoordModule from 'gcoord';
import type { FastifyRequest } from 'fastify';
import type { Database } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { roleAtLeast } from './roles.ts';
import type { Principal } from './principal.ts';
import './principal.ts';

// gcoord is CommonJS whose module.exports is the API object; its typings describe it as `default`.
const gcoord = gcoordModule as unknown as (typeof gcoordModule)['default'];

const CHUNK = 5000;

/** Code prefix shared by every unit of a scope unit's subtree (used for units not in the database yet). */
export function scopePrefix(scopeCode: string): string | null {
  if (scopeCode.length === 9 || scopeCode.length === 12) return scopeCode;
  if (scopeCode.length !== 6) return scopeCode;
  if (scopeCode.endsWith('0000')) return null; // the region: everything
  if (scopeCode.endsWith('00')) return scopeCode.slice(0, 4); // a league
  return scopeCode; // a banner
}

/** The editing scope of a principal: null = unlimited. */
export function editScopeOf(principal: Principal | null | undefined): string | null {
  if (!principal || principal.role === 'admin') return null;
  return principal.unitCode;
}

/**
 * Which of `codes` lie outside the subtree of `scopeCode`. Existing units are
 * judged by their ancestor columns; unknown codes by the NBS code structure
 * (a new village 150430101201 belongs to banner 150430).
 */
export async function unitsOutsideScope(db: Kysely<Database>, scopeCode: string, codes: Iterable<string>): Promise<string[]> {
  const prefix = scopePrefix(scopeCode);
  if (prefix === null) return [];
  const unique = [...new Set(codes)];
  const outside: string[] = [];
  for (let i = 0; i < unique.length; i += CHUNK) {
    const chunk = unique.slice(i, i + CHUNK);
    const { rows } = await sql<{ code: string }>`
      SELECT t.code
      FROM unnest(ARRAY[${sql.join(chunk)}]::text[]) AS t(code)
      LEFT JOIN admin_unit u ON u.code = t.code
      WHERE CASE
        WHEN u.code IS NOT NULL THEN ${scopeCode}::text NOT IN (u.code, coalesce(u.league_code, ''), coalesce(u.banner_code, ''), coalesce(u.township_code, ''))
        ELSE NOT starts_with(t.code, ${prefix}::text)
      END
      ORDER BY t.code`.execute(db);
    outside.push(...rows.map((r) => r.code));
  }
  return outside;
}

/** Which of the facilities (by id) stand outside the subtree; unknown ids are not reported (the route answers 404). */
export async function facilitiesOutsideScope(db: Kysely<Database>, scopeCode: string, ids: Iterable<number>): Promise<number[]> {
  if (scopePrefix(scopeCode) === null) return [];
  const unique = [...new Set(ids)].filter((id) => Number.isSafeInteger(id));
  const outside: number[] = [];
  for (let i = 0; i < unique.length; i += CHUNK) {
    const chunk = unique.slice(i, i + CHUNK);
    const { rows } = await sql<{ id: number }>`
      SELECT f.id FROM facility f
      WHERE f.id IN (${sql.join(chunk)})
        AND ${scopeCode}::text NOT IN (f.unit_code, coalesce(f.league_code, ''), coalesce(f.banner_code, ''), coalesce(f.township_code, ''))
      ORDER BY f.id`.execute(db);
    outside.push(...rows.map((r) => Number(r.id)));
  }
  return outside;
}

export function outOfScope(scopeCode: string, what: string[], kind: 'unit' | 'facility'): AppError {
  const shown = what.slice(0, 10).join(', ') + (what.length > 10 ? ` … (+${what.length - 10})` : '');
  return new AppError(
    'OutOfScope',
    403,
    {
      en: `Your account may only change data in unit ${scopeCode} and below; ${kind === 'unit' ? 'unit(s)' : 'facility id(s)'} ${shown} ${what.length === 1 ? 'is' : 'are'} outside it. Ask an administrator to widen your scope.`,
      zh: `您的账号只能修改行政区划 ${scopeCode} 及其下级的数据；${kind === 'unit' ? '行政区划' : '机构编号'} ${shown} 不在此范围内。如需更大范围，请联系管理员。`,
    },
    undefined,
    { scope: scopeCode, outside: what.slice(0, 100) },
  );
}

function requireEditor(request: FastifyRequest): Principal {
  const principal = request.principal;
  if (!principal) {
    throw new AppError('Unauthorized', 401, { en: 'Log in first.', zh: '请先登录。' });
  }
  if (!roleAtLeast(principal.role, 'editor')) {
    throw new AppError('Forbidden', 403, {
      en: `Changing the registry needs the editor role; your role is ${principal.role}.`,
      zh: `修改机构名录需要“编辑人员”角色；您的角色是 ${principal.role}。`,
    });
  }
  return principal;
}

/**
 * Throws 401/403 unless the request's user may change every unit in `codes`.
 * Inside a transaction pass it as `db`: on the embedded engine (one connection)
 * a query outside the open transaction would wait for it to end.
 */
export async function assertCanEditUnits(request: FastifyRequest, codes: Iterable<string>, db: Kysely<Database> = request.server.db): Promise<void> {
  const principal = requireEditor(request);
  const scope = editScopeOf(principal);
  if (scope === null) return;
  const outside = await unitsOutsideScope(db, scope, codes);
  if (outside.length > 0) throw outOfScope(scope, outside, 'unit');
}

export async function assertCanEditUnit(request: FastifyRequest, unitCode: string, db: Kysely<Database> = request.server.db): Promise<void> {
  await assertCanEditUnits(request, [unitCode], db);
}

/** Throws 401/403 unless the request's user may change the facility where it stands now. */
export async function assertCanEditFacility(request: FastifyRequest, facilityId: number, db: Kysely<Database> = request.server.db): Promise<void> {
  await assertCanEditFacilities(request, [facilityId], db);
}

export async function assertCanEditFacilities(request: FastifyRequest, ids: Iterable<number>, db: Kysely<Database> = request.server.db): Promise<void> {
  const principal = requireEditor(request);
  const scope = editScopeOf(principal);
  if (scope === null) return;
  const outside = await facilitiesOutsideScope(db, scope, ids);
  if (outside.length > 0) throw outOfScope(scope, outside.map(String), 'facility');
}

/**
 * The smallest unit whose boundary contains each point (WGS84); points outside
 * every boundary are left out (the route rejects them as outside the region).
 */
export async function unitsContaining(db: Kysely<Database>, points: [number, number][]): Promise<string[]> {
  const codes: string[] = [];
  for (const [lon, lat] of points) {
    const { rows } = await sql<{ code: string }>`
      SELECT code FROM admin_unit
      WHERE boundary IS NOT NULL
        AND ST_Intersects(boundary, ST_SetSRID(ST_MakePoint(${lon}::float8, ${lat}::float8), 4326))
      ORDER BY CASE level WHEN 'village' THEN 5 WHEN 'township' THEN 4 WHEN 'banner' THEN 3 WHEN 'league' THEN 2 ELSE 1 END DESC
      LIMIT 1`.execute(db);
    if (rows[0]) codes.push(rows[0].code);
  }
  return codes;
}

/** Points ({ lon, lat }, optional sibling crs) at a dotted path, converted to WGS84; malformed ones are skipped (validation rejects them). */
export function pointsAt(root: unknown, path: string): [number, number][] {
  const parts = path.split('.');
  const last = parts.pop()!;
  let parents: unknown[] = [root];
  for (const part of parts) {
    const next: unknown[] = [];
    for (const value of parents) {
      if (value === null || typeof value !== 'object') continue;
      if (part === '*') {
        if (Array.isArray(value)) next.push(...value);
      } else if (Object.hasOwn(value, part)) next.push((value as Record<string, unknown>)[part]);
    }
    parents = next;
  }
  const out: [number, number][] = [];
  for (const parent of parents) {
    if (parent === null || typeof parent !== 'object' || !Object.hasOwn(parent, last)) continue;
    const point = (parent as Record<string, unknown>)[last];
    if (point === null || typeof point !== 'object') continue;
    const lon = Number((point as Record<string, unknown>).lon);
    const lat = Number((point as Record<string, unknown>).lat);
    if (!Number.isFinite(lon) || !Number.isFinite(lat) || Math.abs(lon) > 180 || Math.abs(lat) > 90) continue;
    const crs = (parent as Record<string, unknown>).crs;
    if (crs === 'gcj02' || crs === 'bd09') {
      const [x, y] = gcoord.transform([lon, lat], crs === 'gcj02' ? gcoord.GCJ02 : gcoord.BD09, gcoord.WGS84) as [number, number];
      out.push([x, y]);
    } else {
      out.push([lon, lat]);
    }
  }
  return out;
}

/** Values at a dotted path ('*' walks arrays), as strings: what validation could coerce into a code or id. */
export function valuesAt(root: unknown, path: string): string[] {
  let current: unknown[] = [root];
  for (const part of path.split('.')) {
    const next: unknown[] = [];
    for (const value of current) {
      if (value === null || typeof value !== 'object') continue;
      if (part === '*') {
        if (Array.isArray(value)) next.push(...value);
      } else if (Object.hasOwn(value, part)) {
        next.push((value as Record<string, unknown>)[part]);
      }
    }
    current = next;
  }
  const out: string[] = [];
  const add = (v: unknown) => {
    if (typeof v === 'string') out.push(v.trim());
    else if (typeof v === 'number' || typeof v === 'bigint') out.push(String(v));
  };
  for (const value of current) {
    // ajv's coerceTypes: 'array' unwraps one-element arrays, so every element counts.
    if (Array.isArray(value)) value.forEach(add);
    else add(value);
  }
  return out;
}
