/**
 * Which reader a file needs: from its first bytes first (a renamed file is still
 * what its bytes say), then its name, then the caller's `format` option.
 */
import { importUnreadable } from './problems.ts';

export const FORMATS = ['csv', 'xlsx', 'geojson', 'geotiff'] as const;
export type FileFormat = (typeof FORMATS)[number];

type Sniffed = FileFormat | 'xls' | 'zip' | 'pdf' | 'unknown-binary' | 'text';

function sniff(bytes: Buffer): Sniffed {
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 0x03 || bytes[2] === 0x05 || bytes[2] === 0x07)) {
    // An XLSX is a zip whose first entry is usually [Content_Types].xml; any zip
    // is tried as XLSX (exceljs says whether it is one).
    return 'xlsx';
  }
  if (bytes.length >= 8 && bytes.readUInt32BE(0) === 0xd0cf11e0 && bytes.readUInt32BE(4) === 0xa1b11ae1) return 'xls';
  if (bytes.length >= 4 && ((bytes[0] === 0x49 && bytes[1] === 0x49 && (bytes[2] === 0x2a || bytes[2] === 0x2b)) || (bytes[0] === 0x4d && bytes[1] === 0x4d && bytes[2] === 0x00))) return 'geotiff';
  if (bytes.subarray(0, 5).toString('latin1') === '%PDF-') return 'pdf';
  // JSON: first non-space character (after an optional BOM) is { or [.
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
  if (bytes[i] === 0x7b || bytes[i] === 0x5b) return 'geojson';
  return 'text';
}

function fromName(name: string | undefined): FileFormat | 'xls' | undefined {
  const ext = name?.toLowerCase().match(/\.([a-z0-9]+)$/)?.[1];
  switch (ext) {
    case 'csv':
    case 'txt':
    case 'tsv':
      return 'csv';
    case 'xlsx':
    case 'xlsm':
      return 'xlsx';
    case 'xls':
      return 'xls';
    case 'json':
    case 'geojson':
      return 'geojson';
    case 'tif':
    case 'tiff':
      return 'geotiff';
    default:
      return undefined;
  }
}

export function detectFormat(bytes: Buffer, filename: string | undefined, requested: FileFormat | 'auto' = 'auto'): FileFormat {
  if (bytes.length === 0) throw importUnreadable('The file is empty.', '文件为空。');
  const sniffed = sniff(bytes);
  if (sniffed === 'xls') {
    throw importUnreadable(
      'This is an old Excel 97-2003 (.xls) workbook. Save it as .xlsx ("Excel Workbook") or as CSV and import that.',
      '这是旧版 Excel 97-2003（.xls）文件。请另存为 .xlsx（Excel 工作簿）或 CSV 后再导入。',
    );
  }
  if (sniffed === 'pdf') throw importUnreadable('This is a PDF, not a data file. Export the table to CSV or XLSX.', '这是 PDF 文件，不是数据文件。请将表格导出为 CSV 或 XLSX。');
  const named = fromName(filename);
  const binary = sniffed === 'xlsx' || sniffed === 'geotiff';
  if (requested !== 'auto') {
    if (binary && sniffed !== requested) {
      throw importUnreadable(
        `format=${requested} was given, but the file's content is ${sniffed.toUpperCase()}. Remove the format option or upload the right file.`,
        `指定了 format=${requested}，但文件内容是 ${sniffed.toUpperCase()}。请去掉 format 参数或上传正确的文件。`,
      );
    }
    return requested;
  }
  if (binary) return sniffed as FileFormat;
  if (named === 'xlsx' || named === 'geotiff') {
    throw importUnreadable(
      `The file is named like ${named.toUpperCase()} but its content is not (${named === 'xlsx' ? 'an .xlsx is a zip archive' : 'a GeoTIFF starts with II* or MM*'}). It may be renamed or damaged.`,
      `文件扩展名为 ${named.toUpperCase()}，但内容不是该格式（${named === 'xlsx' ? '.xlsx 应为 zip 压缩包' : 'GeoTIFF 应以 II* 或 MM* 开头'}），可能被改名或已损坏。`,
    );
  }
  if (sniffed === 'geojson') return 'geojson';
  return 'csv';
}
