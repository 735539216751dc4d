/**
 * Schemas and parsers shared by every route: error body, GeoJSON envelopes,
 * OGC API Features style paging (`limit`, `offset`) and `bbox`.
 */
import { Type, type Static, type TSchema } from 'typebox';
import { invalidParameter } from '../errors.ts';
import type { Bbox } from '../db/postgis.ts';

export const ErrorResponse = Type.Object(
  {
    statusCode: Type.Integer(),
    code: Type.String({ description: 'Stable machine-readable error code' }),
    error: Type.String({ description: 'HTTP reason phrase' }),
    message: Type.String({ description: 'What went wrong and what to fix (English)' }),
    messageZh: Type.String({ description: '错误原因及修改方法（中文）' }),
    details: Type.Optional(Type.Array(Type.Record(Type.String(), Type.Unknown()))),
    currentVersion: Type.Optional(Type.Integer()),
  },
  { $id: 'ErrorResponse', additionalProperties: true },
);

/** Standard error responses to attach to a route's `response` schema. */
export const errorResponses = {
  400: ErrorResponse,
  404: ErrorResponse,
} as const;

export const GeoJSONGeometry = Type.Unknown({ description: 'GeoJSON geometry (RFC 7946), WGS84, 6 decimals' });

export function Feature<P extends TSchema>(properties: P) {
  return Type.Object({
    type: Type.Literal('Feature'),
    id: Type.Union([Type.String(), Type.Number()]),
    geometry: Type.Union([GeoJSONGeometry, Type.Null()]),
    properties,
  });
}

export function FeatureCollection<P extends TSchema>(properties: P) {
  return Type.Object({
    type: Type.Literal('FeatureCollection'),
    numberMatched: Type.Integer({ description: 'Features matching the filter, before paging' }),
    numberReturned: Type.Integer(),
    features: Type.Array(Feature(properties)),
  });
}

export const PagingQuery = (defaultLimit: number, maxLimit: number) => ({
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: maxLimit, default: defaultLimit, description: `Page size (1–${maxLimit}, default ${defaultLimit})` }),
  ),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000, default: 0, description: 'Features to skip' })),
});

export const BboxQuery = Type.Optional(
  Type.String({
    description: 'minLon,minLat,maxLon,maxLat in WGS84 degrees',
    examples: ['119.3,41.7,120.6,43.0'],
  }),
);

/** Parse `minLon,minLat,maxLon,maxLat`; every mistake is a 400 naming `bbox`. */
export function parseBbox(value: string | undefined): Bbox | undefined {
  if (value === undefined || value === '') return undefined;
  const parts = value.split(',').map((p) => p.trim());
  if (parts.length !== 4) {
    throw invalidParameter(
      'bbox',
      `expected 4 comma-separated numbers minLon,minLat,maxLon,maxLat, got ${parts.length} value(s)`,
      `应为 4 个用逗号分隔的数字 最小经度,最小纬度,最大经度,最大纬度，实际为 ${parts.length} 个`,
      value,
    );
  }
  const numbers = parts.map(Number);
  if (numbers.some((n, i) => parts[i] === '' || !Number.isFinite(n))) {
    throw invalidParameter('bbox', 'every value must be a number', '每个值都必须是数字', value);
  }
  const [minLon, minLat, maxLon, maxLat] = numbers as [number, number, number, number];
  if (minLon < -180 || maxLon > 180 || minLon > 180 || maxLon < -180) {
    throw invalidParameter('bbox', 'longitudes must be between -180 and 180', '经度必须在 -180 到 180 之间', value);
  }
  if (minLat < -90 || maxLat > 90 || minLat > 90 || maxLat < -90) {
    throw invalidParameter('bbox', 'latitudes must be between -90 and 90', '纬度必须在 -90 到 90 之间', value);
  }
  if (minLon > maxLon || minLat > maxLat) {
    throw invalidParameter(
      'bbox',
      'minimum must not exceed maximum (order is minLon,minLat,maxLon,maxLat)',
      '最小值不能大于最大值（顺序为 最小经度,最小纬度,最大经度,最大纬度）',
      value,
    );
  }
  return [minLon, minLat, maxLon, maxLat];
}

/** Parse a comma-separated list whose items must come from `allowed`. */
export function parseList<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T[] | undefined {
  if (value === undefined || value === '') return undefined;
  const items = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const unknown = items.filter((i) => !(allowed as readonly string[]).includes(i));
  if (unknown.length > 0) {
    throw invalidParameter(
      name,
      `unknown value(s) ${unknown.join(', ')}; accepted values: ${allowed.join(', ')}`,
      `未知取值 ${unknown.join('、')}；可用取值：${allowed.join(', ')}`,
      value,
    );
  }
  return items as T[];
}

export type Paging = { limit: number; offset: number };
export type StaticOf<T extends TSchema> = Static<T>;
