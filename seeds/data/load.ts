/**
 * Readers for the data files shipped in seeds/data (our own copies; nothing is
 * fetched at run time). Gzipped files are decompressed in memory.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import Papa from 'papaparse';

export const DATA_DIR = path.dirname(fileURLToPath(import.meta.url));

export function readDataText(name: string): string {
  const file = path.join(DATA_DIR, name);
  const buffer = fs.readFileSync(file);
  return (name.endsWith('.gz') ? zlib.gunzipSync(buffer) : buffer).toString('utf8');
}

/** Rows of a shipped CSV (UTF-8, header row), values as strings. */
export function readDataCsv(name: string): Record<string, string>[] {
  const parsed = Papa.parse<Record<string, string>>(readDataText(name), { header: true, skipEmptyLines: true });
  if (parsed.errors.length > 0) {
    throw new Error(`seeds/data/${name}: ${parsed.errors[0]!.message} (row ${parsed.errors[0]!.row})`);
  }
  return parsed.data;
}

export function readDataJson<T>(name: string): T {
  return JSON.parse(readDataText(name)) as T;
}
