/**
 * Cell values as people type them in Chinese spreadsheets: full-width digits,
 * thousands separators, "800张", "是/否", 119°54′30″, codes that Excel turned into
 * 1.5043E+11. Each parser returns a value or a bilingual reason.
 */

export type Parsed<T> = { ok: true; value: T } | { ok: false; code: string; en: string; zh: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(code: string, en: string, zh: string): Parsed<T> => ({ ok: false, code, en, zh });

/** NFKC folds full-width digits, letters and punctuation (１２３，ＡＢＣ) to ASCII. */
export function fold(raw: string): string {
  return raw.normalize('NFKC').trim();
}

/** Placeholders Chinese sheets use for "no value". */
const EMPTY_MARKERS = new Set(['', '-', '--', '—', '——', '/', '\\', '无数据', 'n/a', 'na', 'null', 'none', '#n/a']);

export function isEmptyCell(raw: string | undefined): boolean {
  if (raw === undefined || raw === '') return true;
  return EMPTY_MARKERS.has(fold(raw).toLowerCase());
}

const INT4_MAX = 2_147_483_647;

/** A non-negative whole count (beds, staff): "1,234", "８００", "800张", "12.0". */
export function parseCount(raw: string): Parsed<number | null> {
  // Fast path: plain digits, by far the common case.
  if (/^\d{1,9}$/.test(raw)) return ok(Number(raw));
  if (isEmptyCell(raw)) return ok(null);
  let text = fold(raw).replace(/\s+/g, '');
  text = text.replace(/(张|人|名|个|所|床|户)$/u, '');
  if (/^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$/.test(text)) text = text.replace(/,/g, '');
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text)) {
    return fail('not_a_number', 'must be a whole number (e.g. 120)', '必须是整数（例如 120）');
  }
  const value = Number(text);
  if (!Number.isFinite(value)) return fail('not_a_number', 'must be a whole number', '必须是整数');
  if (value < 0) return fail('negative', 'must not be negative', '不能为负数');
  if (!Number.isInteger(value)) return fail('not_integer', 'must be a whole number, not a fraction', '必须是整数，不能有小数');
  if (value > INT4_MAX) return fail('out_of_range', `is too large (at most ${INT4_MAX})`, `数值过大（最大 ${INT4_MAX}）`);
  return ok(value);
}

/** A population (may exceed int4 for a region); same rules as a count otherwise. */
export function parsePopulation(raw: string): Parsed<number | null> {
  if (isEmptyCell(raw)) return ok(null);
  let text = fold(raw).replace(/\s+/g, '').replace(/人$/u, '');
  const wan = /^(\d+(\.\d+)?)万$/.exec(text);
  if (wan) text = String(Math.round(Number(wan[1]) * 10_000));
  if (/^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$/.test(text)) text = text.replace(/,/g, '');
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text)) return fail('not_a_number', 'must be a whole number of people', '必须是整数人数');
  const value = Number(text);
  if (value < 0) return fail('negative', 'must not be negative', '不能为负数');
  if (!Number.isInteger(value)) return fail('not_integer', 'must be a whole number of people', '人数必须是整数');
  if (value > 2_000_000_000) return fail('out_of_range', 'is implausibly large', '数值过大，不合理');
  return ok(value);
}

/** A non-negative decimal (raster population values may be fractional). */
export function parseDecimal(raw: string): Parsed<number | null> {
  if (isEmptyCell(raw)) return ok(null);
  const text = fold(raw).replace(/\s+/g, '').replace(/,/g, '');
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text)) return fail('not_a_number', 'must be a number', '必须是数字');
  const value = Number(text);
  if (!Number.isFinite(value)) return fail('not_a_number', 'must be a number', '必须是数字');
  return ok(value);
}

// NFKC turns ″ (double prime) into ′′, hence both spellings of seconds.
const DMS = /^(\d{1,3})(?:°|度|\s)\s*(?:(\d{1,2}(?:\.\d+)?)(?:'|′|分|\s)\s*)?(?:(\d{1,2}(?:\.\d+)?)(?:"|″|′′|''|秒)?)?\s*([NSEWnsew东西南北])?$/u;

/**
 * A coordinate in decimal degrees, or degrees-minutes-seconds (119°54′30″E,
 * 119度54分30秒). Range checks belong to the caller (it knows whether it is a
 * longitude or a latitude and can spot swapped columns).
 */
export function parseCoordinate(raw: string): Parsed<number | null> {
  if (/^-?\d{1,3}(\.\d+)?$/.test(raw)) return ok(Number(raw));
  if (isEmptyCell(raw)) return ok(null);
  let text = fold(raw);
  const hemisphere = /^([NSEWnsew东西南北])\s*(.*)$/u.exec(text);
  if (hemisphere) text = `${hemisphere[2]}${hemisphere[1]}`;
  const plain = /^([+-]?(\d+(\.\d*)?|\.\d+))\s*°?\s*([NSEWnsew东西南北])?$/u.exec(text);
  let value: number | undefined;
  let suffix: string | undefined;
  if (plain) {
    value = Number(plain[1]);
    suffix = plain[4];
  } else {
    const dms = DMS.exec(text);
    if (!dms) return fail('not_a_coordinate', 'must be decimal degrees (e.g. 119.9012) or degrees-minutes-seconds (119°54′04″)', '必须是十进制度数（例如 119.9012）或度分秒（119°54′04″）');
    const minutes = Number(dms[2] ?? 0);
    const seconds = Number(dms[3] ?? 0);
    if (minutes >= 60 || seconds >= 60) return fail('not_a_coordinate', 'minutes and seconds must be below 60', '分、秒必须小于 60');
    value = Number(dms[1]) + minutes / 60 + seconds / 3600;
    suffix = dms[4];
  }
  if (suffix && /[SWsw西南]/u.test(suffix)) value = -value;
  return ok(value);
}

const TRUE = new Set(['是', '有', 'y', 'yes', 'true', 't', '1', '√', '✓', '✔', '对']);
const FALSE = new Set(['否', '无', '没有', 'n', 'no', 'false', 'f', '0', '×', '✗', '✘', '不是']);

export function parseBoolean(raw: string): Parsed<boolean | null> {
  const text = fold(raw).toLowerCase();
  if (text === '') return ok(null);
  if (TRUE.has(text)) return ok(true);
  if (FALSE.has(text)) return ok(false);
  return fail('not_a_boolean', 'must be yes or no (是/否, true/false, 1/0)', '必须是“是”或“否”（也可填 true/false、1/0）');
}

/** Excel shows long numeric codes as 1.50430E+11 and saves them so: the digits are lost. */
function scientific(text: string): boolean {
  return /^\d(\.\d+)?e\+?\d+$/i.test(text);
}

const SCIENTIFIC_EN = 'Excel turned the code into a number in scientific notation, which loses digits: format the column as Text in Excel and type the codes again';
const SCIENTIFIC_ZH = 'Excel 把代码转换成了科学计数法，丢失了位数：请在 Excel 中把该列设为“文本”格式后重新录入代码';

/** A facility or cell code: trimmed, at most 64 characters. */
export function parseCode(raw: string): Parsed<string | null> {
  if (/^[A-Za-z0-9_\-./#:]{1,64}$/.test(raw) && !scientific(raw)) return ok(raw);
  const text = fold(raw).replace(/\s+/g, '');
  if (text === '') return ok(null);
  if (scientific(text)) return fail('code_scientific', SCIENTIFIC_EN, SCIENTIFIC_ZH);
  if (text.length > 64) return fail('too_long', 'is longer than 64 characters', '长度超过 64 个字符');
  return ok(text);
}

/**
 * An NBS unit code: 6 digits (region, league, banner), 9 (township) or 12
 * (village). The 12-digit padded forms 150430000000 and 150430100000 are folded
 * to 150430 and 150430100 (village sequence numbers are never 000).
 */
export function parseUnitCode(raw: string): Parsed<string | null> {
  if (/^\d{6}$|^\d{9}$/.test(raw) || (/^\d{12}$/.test(raw) && !raw.endsWith('000'))) return ok(raw);
  let text = fold(raw).replace(/\s+/g, '');
  if (text === '') return ok(null);
  if (scientific(text)) return fail('code_scientific', SCIENTIFIC_EN, SCIENTIFIC_ZH);
  text = text.replace(/\.0+$/, '');
  if (/^\d{12}$/.test(text)) {
    if (text.endsWith('000000')) text = text.slice(0, 6);
    else if (text.endsWith('000')) text = text.slice(0, 9);
  }
  if (!/^\d{6}(\d{3}(\d{3})?)?$/.test(text)) {
    return fail('invalid_unit_code', 'must be an NBS code of 6, 9 or 12 digits (e.g. 150430 敖汉旗)', '必须是 6、9 或 12 位统计用区划代码（例如敖汉旗 150430）');
  }
  return ok(text);
}

export function levelOfCode(code: string): 'region' | 'league' | 'banner' | 'township' | 'village' {
  if (code.length === 12) return 'village';
  if (code.length === 9) return 'township';
  if (code.endsWith('0000')) return 'region';
  if (code.endsWith('00')) return 'league';
  return 'banner';
}

/** A list cell: "ICU、急诊科；儿科" or "icu, emergency". */
export function splitList(raw: string): string[] {
  return raw
    .split(/[,，;；、|\n]+/u)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Free text: trimmed; internal spacing kept. */
export function parseText(raw: string, max = 200): Parsed<string | null> {
  const text = raw.replace(/^\s+|\s+$/g, '');
  if (text === '') return ok(null);
  if (text.length > max) return fail('too_long', `is longer than ${max} characters`, `长度超过 ${max} 个字符`);
  return ok(text);
}
