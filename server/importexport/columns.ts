/**
 * Column names in Chinese or English, with the synonyms found in real
 * registries and statistical sheets, mapped to the fields of one import kind.
 */
import { ProblemList } from './problems.ts';
import { fold } from './values.ts';

export interface FieldSpec<K extends string = string> {
  key: K;
  /** Header written by exports (zh / en); both are also accepted on import. */
  zh: string;
  en: string;
  synonyms?: string[];
  required?: boolean;
  /** Accepted and ignored on import (e.g. computed columns of an export such as area_km2). */
  readOnly?: boolean;
}

/** Header lookup key: width-folded, lower case, without "(单位)" suffixes, spaces, underscores, stars and colons. */
export function headerKey(raw: string): string {
  return fold(raw)
    .toLowerCase()
    .replace(/[(（[【][^)）\]】]*[)）\]】]/gu, '')
    .replace(/[\s_\-*:：.]/gu, '');
}

export interface ColumnMapping<K extends string> {
  /** Field → index of its column. */
  index: Partial<Record<K, number>>;
  /** Field → header as written in the file (for problem reports). */
  header: Partial<Record<K, string>>;
  mapped: { header: string; field: K }[];
  ignored: string[];
}

export class FieldSet<K extends string> {
  private readonly lookupMap = new Map<string, K>();

  constructor(readonly fields: FieldSpec<K>[]) {
    for (const f of fields) {
      for (const name of [f.key, f.zh, f.en, ...(f.synonyms ?? [])]) {
        const key = headerKey(name);
        const other = this.lookupMap.get(key);
        if (other !== undefined && other !== f.key) throw new Error(`column name "${name}" is claimed by both ${other} and ${f.key}`);
        this.lookupMap.set(key, f.key);
      }
    }
  }

  spec(key: K): FieldSpec<K> {
    return this.fields.find((f) => f.key === key)!;
  }

  /** The field a header names: the whole header, or one part of a bilingual "机构名称 / name" header. */
  lookup(header: string): K | undefined {
    const whole = this.lookupMap.get(headerKey(header));
    if (whole) return whole;
    const parts = fold(header).split(/[/|｜\n]|\s{1,}/u).filter((p) => p.trim() !== '');
    if (parts.length > 1) {
      for (const part of parts) {
        const hit = this.lookupMap.get(headerKey(part));
        if (hit) return hit;
      }
    }
    return undefined;
  }

  isKnown = (header: string): boolean => this.lookup(header) !== undefined;

  /**
   * Map headers to fields. Problems: a required field without a column, two
   * columns for one field. Unknown columns are listed as ignored (a warning).
   */
  map(headers: string[], problems: ProblemList, options: { required?: K[][] } = {}): ColumnMapping<K> {
    const mapping: ColumnMapping<K> = { index: {}, header: {}, mapped: [], ignored: [] };
    headers.forEach((header, i) => {
      if (header === '') return;
      const field = this.lookup(header);
      if (!field) {
        mapping.ignored.push(header);
        return;
      }
      const previous = mapping.header[field];
      if (previous !== undefined) {
        const spec = this.spec(field);
        problems.add(
          null,
          header,
          null,
          'duplicate_column',
          `columns "${previous}" and "${header}" both mean ${spec.en} (${spec.key}); keep one of them`,
          `“${previous}”和“${header}”两列都表示${spec.zh}（${spec.key}），请只保留一列`,
        );
        return;
      }
      mapping.index[field] = i;
      mapping.header[field] = header;
      mapping.mapped.push({ header, field });
    });
    for (const spec of this.fields.filter((f) => f.required)) {
      if (mapping.index[spec.key] === undefined) this.missing(problems, [spec.key], headers);
    }
    for (const group of options.required ?? []) {
      if (group.every((k) => mapping.index[k] === undefined)) this.missing(problems, group, headers);
    }
    return mapping;
  }

  private missing(problems: ProblemList, keys: K[], headers: string[]): void {
    const specs = keys.map((k) => this.spec(k));
    const names = (s: FieldSpec<K>) => [s.zh, s.en, ...(s.synonyms ?? []).slice(0, 3)].join(' / ');
    problems.add(
      null,
      specs.map((s) => s.zh).join(' / '),
      null,
      'missing_column',
      `missing required column ${specs.map((s) => `${s.en} (accepted headers: ${names(s)})`).join(' or ')}; the file's columns are: ${headers.filter((h) => h).join(', ') || '(none)'}`,
      `缺少必填列 ${specs.map((s) => `${s.zh}（可用列名：${names(s)}）`).join(' 或 ')}；文件中的列为：${headers.filter((h) => h).join('、') || '（无）'}`,
    );
  }
}

/** Read one row's cells by field. */
export function cellOf<K extends string>(mapping: ColumnMapping<K>, cells: string[], key: K): string | undefined {
  const i = mapping.index[key];
  return i === undefined ? undefined : (cells[i] ?? '');
}
