import { Type, type Static } from 'typebox';
import { CRS_OPTIONS } from './coords.ts';
import { FORMATS } from './formats.ts';
import { IMPORT_KINDS } from './types.ts';
import { EXPORT_FORMATS, EXPORT_KINDS } from './export.ts';

export const ImportKindParam = Type.Object({
  kind: Type.Enum(IMPORT_KINDS, { description: `What the file holds: ${IMPORT_KINDS.join(', ')}` }),
});

export const ImportQuery = Type.Object(
  {
    mode: Type.Optional(
      Type.Enum(['validate', 'commit'], {
        default: 'validate',
        description: 'validate = check every row and report what would change, write nothing; commit = write when the whole file is valid',
      }),
    ),
    encoding: Type.Optional(
      Type.String({ maxLength: 20, description: 'CSV text encoding: auto (default; UTF-8 with/without BOM, GB18030/GBK, UTF-16 detected), utf-8, gbk / gb18030, utf-16le' }),
    ),
    crs: Type.Optional(
      Type.Enum(CRS_OPTIONS, { default: 'wgs84', description: 'Coordinates in the file: wgs84 (GPS, Tianditu, OSM; default), gcj02 (AMap, Tencent), bd09 (Baidu) — converted to WGS84' }),
    ),
    format: Type.Optional(Type.Enum(['auto', ...FORMATS], { default: 'auto', description: 'File format; auto = from the content and the file name' })),
    sheet: Type.Optional(Type.String({ maxLength: 100, description: 'XLSX: worksheet name or number (default: the first one with recognised columns)' })),
    replace: Type.Optional(
      Type.Boolean({ default: false, description: 'population-cells: delete existing cells of the banners the file covers that the file does not contain (replace a synthetic grid)' }),
    ),
    source: Type.Optional(Type.String({ maxLength: 200, description: 'Source note for new or changed rows (default: the file name and date)' })),
    filename: Type.Optional(Type.String({ maxLength: 200, description: 'File name when the body is the raw file rather than multipart' })),
  },
  { additionalProperties: false },
);
export type ImportQuery = Static<typeof ImportQuery>;

const Warning = Type.Object({
  code: Type.String(),
  en: Type.String(),
  zh: Type.String(),
  rows: Type.Optional(Type.Array(Type.Integer())),
  count: Type.Optional(Type.Integer()),
});

const Counts = Type.Object({
  created: Type.Integer(),
  updated: Type.Integer(),
  unchanged: Type.Integer(),
  deleted: Type.Integer(),
  skipped: Type.Integer({ description: 'Raster cells dropped: empty, no-data or outside the region' }),
});

export const ImportReport = Type.Object({
  kind: Type.Enum(IMPORT_KINDS),
  mode: Type.Enum(['validate', 'commit']),
  committed: Type.Boolean({ description: 'True when the rows were written (commit mode, valid file)' }),
  file: Type.Object({
    name: Type.String(),
    bytes: Type.Integer(),
    sha256: Type.String(),
    format: Type.Enum(FORMATS),
    encoding: Type.Union([Type.String(), Type.Null()]),
    sheet: Type.Union([Type.String(), Type.Null()]),
  }),
  crs: Type.Enum(CRS_OPTIONS),
  rows: Type.Integer({ description: 'Data rows (features, raster cells) read' }),
  counts: Counts,
  columns: Type.Object({
    mapped: Type.Array(Type.Object({ header: Type.String(), field: Type.String() })),
    ignored: Type.Array(Type.String()),
  }),
  warnings: Type.Array(Warning),
  dataVersion: Type.Union([Type.Integer(), Type.Null()], { description: 'Data version after a commit that changed something' }),
  durationMs: Type.Integer(),
  timings: Type.Record(Type.String(), Type.Integer(), { description: 'Milliseconds per phase' }),
});

export const FieldDescription = Type.Object({
  key: Type.String(),
  zh: Type.String(),
  en: Type.String(),
  synonyms: Type.Array(Type.String()),
  required: Type.Boolean(),
  readOnly: Type.Boolean(),
});

export const ImportKindsResponse = Type.Object({
  maxBytes: Type.Integer(),
  crs: Type.Array(Type.String()),
  encodings: Type.Array(Type.String()),
  kinds: Type.Array(
    Type.Object({
      kind: Type.Enum(IMPORT_KINDS),
      zh: Type.String(),
      formats: Type.Array(Type.String()),
      fields: Type.Array(FieldDescription),
    }),
  ),
  vocabularies: Type.Record(Type.String(), Type.Array(Type.Object({ id: Type.String(), zh: Type.String(), en: Type.String() }))),
});

export const ExportKindParam = Type.Object({
  kind: Type.Enum(EXPORT_KINDS, { description: `What to export: ${EXPORT_KINDS.join(', ')}` }),
});

export const ExportQuery = Type.Object(
  {
    format: Type.Optional(Type.Enum(EXPORT_FORMATS, { default: 'csv', description: 'csv (UTF-8 with BOM, opens in Excel), xlsx or geojson' })),
    unit: Type.Optional(Type.String({ description: 'Unit code: only this unit\'s subtree (default: the whole region)' })),
    headers: Type.Optional(Type.Enum(['zh', 'en'], { default: 'zh', description: 'CSV/XLSX header and value language: zh (机构名称, 综合医院) or en (name, general_hospital); both re-import' })),
    type: Type.Optional(Type.String({ description: 'facilities: comma-separated facility types' })),
    status: Type.Optional(Type.String({ description: 'facilities: comma-separated statuses' })),
    geometry: Type.Optional(Type.Enum(['boundary', 'point'], { default: 'boundary', description: 'units as GeoJSON: boundary (null where none; re-importable as unit-boundaries) or settlement point' })),
  },
  { additionalProperties: false },
);

export const ExportFile = Type.Unsafe<string>({ type: 'string', format: 'binary', description: 'The exported file' });
