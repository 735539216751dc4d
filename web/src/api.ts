/** The one module that talks to the server. */
import type { FeatureCollection, Geometry } from 'geojson';

export interface UnitProperties {
  code: string;
  name: string;
  level: string;
  kind: string | null;
  parentCode: string | null;
  population: number | null;
  populationUrban: number | null;
  areaKm2: number | null;
  density: number | null;
  synthetic: boolean;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly messageZh: string,
  ) {
    super(message);
  }
}

async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    throw new ApiError(response.status, body?.code ?? 'Error', body?.message ?? response.statusText, body?.messageZh ?? '请求失败');
  }
  return body as T;
}

export function fetchUnits(params: { level: string; simplify?: number; limit?: number }) {
  const query = new URLSearchParams({ level: params.level, limit: String(params.limit ?? 1000) });
  if (params.simplify) query.set('simplify', String(params.simplify));
  return getJson<FeatureCollection<Geometry, UnitProperties>>(`/api/units?${query}`);
}
