/** Turn an uploaded file into a table of strings, whatever its format. */
import { decodeText } from './encoding.ts';
import { parseFeatureCollection, pointFeaturesAsTable } from './geojson.ts';
import { importUnreadable } from './problems.ts';
import { readCsv, readXlsx, type Table } from './tabular.ts';
import type { FieldSet } from './columns.ts';
import type { KindContext } from './types.ts';

export interface ReadTable {
  table: Table;
  encoding: string | null;
}

export async function readTable<K extends string>(
  ctx: KindContext,
  fields: FieldSet<K>,
  coordinateFields: K[] = [],
): Promise<ReadTable> {
  switch (ctx.format) {
    case 'csv': {
      const decoded = decodeText(ctx.file.bytes, ctx.options.encoding);
      return { table: readCsv(decoded.text, fields.isKnown, ctx.problems), encoding: decoded.encoding };
    }
    case 'xlsx':
      return { table: await readXlsx(ctx.file.bytes, fields.isKnown, ctx.problems, ctx.options.sheet), encoding: null };
    case 'geojson': {
      const decoded = decodeText(ctx.file.bytes, ctx.options.encoding);
      const fc = parseFeatureCollection(decoded.text);
      const isCoordinate = (h: string) => {
        const f = fields.lookup(h);
        return f !== undefined && coordinateFields.includes(f);
      };
      return { table: pointFeaturesAsTable(fc, ctx.problems, isCoordinate), encoding: decoded.encoding };
    }
    default:
      throw importUnreadable(`A ${ctx.format} file cannot be read as a table.`, `${ctx.format} 文件无法按表格读取。`);
  }
}
