/**
 * Text encodings of uploaded CSV files. Chinese Excel saves "CSV" as GB18030/GBK
 * (code page 936) unless the user picks "CSV UTF-8"; other tools write UTF-8 with or
 * without a byte-order mark, and "Unicode text" is UTF-16. Detection is strict
 * rather than statistical: a file that is valid UTF-8 is UTF-8; otherwise, if every
 * line decodes as GB18030, it is GB18030; a file whose lines disagree is "mixed"
 * (typically rows pasted from two sources) and is refused with the lines to fix.
 */
import iconv from 'iconv-lite';
import chardet from 'chardet';
import { importUnreadable, ProblemList } from './problems.ts';

export const ENCODINGS = ['auto', 'utf-8', 'gb18030', 'utf-16le', 'utf-16be'] as const;
export type RequestedEncoding = (typeof ENCODINGS)[number];
export type DetectedEncoding = 'utf-8' | 'utf-8-bom' | 'gb18030' | 'utf-16le' | 'utf-16be';

/** Accepted spellings of the `encoding` option. GBK, GB2312 and CP936 are subsets of GB18030. */
export function normaliseEncodingName(name: string | undefined): RequestedEncoding | undefined {
  if (name === undefined || name === '') return 'auto';
  const n = name.toLowerCase().replace(/[\s_-]/g, '');
  if (n === 'auto') return 'auto';
  if (n === 'utf8' || n === 'utf8bom' || n === 'utf8sig') return 'utf-8';
  if (['gbk', 'gb2312', 'gb18030', 'cp936', 'ms936', 'windows936', 'ansi'].includes(n)) return 'gb18030';
  if (n === 'utf16le' || n === 'utf16' || n === 'unicode' || n === 'ucs2') return 'utf-16le';
  if (n === 'utf16be') return 'utf-16be';
  return undefined;
}

export interface DecodedText {
  text: string;
  encoding: DetectedEncoding;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function isUtf8(bytes: Uint8Array): boolean {
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function hasHighBytes(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b >= 0x80) return true;
  return false;
}

/** Physical lines of the raw bytes (0x0A never occurs inside a GB18030 or UTF-8 multibyte sequence). */
function rawLines(bytes: Uint8Array): Uint8Array[] {
  const lines: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0a) {
      lines.push(bytes.subarray(start, i));
      start = i + 1;
    }
  }
  if (start < bytes.length) lines.push(bytes.subarray(start));
  return lines;
}

function gb18030Clean(bytes: Uint8Array): boolean {
  return !iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'gb18030').includes('\uFFFD');
}

/** UTF-16 without a byte-order mark shows as every other byte being zero in ASCII text. */
function utf16Guess(bytes: Uint8Array): 'utf-16le' | 'utf-16be' | null {
  const n = Math.min(bytes.length, 4096) & ~1;
  if (n < 4) return null;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < n; i += 2) {
    if (bytes[i] === 0) evenZeros++;
    if (bytes[i + 1] === 0) oddZeros++;
  }
  const pairs = n / 2;
  if (oddZeros > pairs * 0.3 && evenZeros < pairs * 0.05) return 'utf-16le';
  if (evenZeros > pairs * 0.3 && oddZeros < pairs * 0.05) return 'utf-16be';
  return null;
}

function looksBinary(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 4096);
  let control = 0;
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    if (b === 0 || (b < 0x09) || (b > 0x0d && b < 0x20 && b !== 0x1b)) control++;
  }
  return control > n * 0.05;
}

const GUESS_ZH: Record<string, string> = { Big5: '繁体 Big5', Shift_JIS: '日文 Shift_JIS', 'EUC-KR': '韩文 EUC-KR' };

/**
 * Decode an uploaded text file. `requested` = 'auto' detects; anything else is
 * used as given, but still checked (a UTF-8 file read as GBK would silently turn
 * every Chinese header into mojibake, so that is refused with the fix).
 */
export function decodeText(buffer: Buffer, requested: RequestedEncoding = 'auto'): DecodedText {
  const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  if (bytes.length === 0) throw importUnreadable('The file is empty.', '文件为空。');

  // A byte-order mark is unambiguous and wins over the option.
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return checkedUtf8(bytes.subarray(3), 'utf-8-bom');
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { text: iconv.decode(buffer.subarray(2), 'utf-16le'), encoding: 'utf-16le' };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { text: iconv.decode(buffer.subarray(2), 'utf-16be'), encoding: 'utf-16be' };

  if (requested === 'utf-16le' || requested === 'utf-16be') return { text: iconv.decode(buffer, requested), encoding: requested };
  const utf16 = utf16Guess(bytes);
  if (utf16 && requested === 'auto') return { text: iconv.decode(buffer, utf16), encoding: utf16 };
  if (looksBinary(bytes)) {
    throw importUnreadable(
      'This is not a text (CSV) file: it contains binary data. Upload a CSV, XLSX, GeoJSON or GeoTIFF file, or set format= to the right type.',
      '该文件不是文本（CSV）文件，包含二进制数据。请上传 CSV、XLSX、GeoJSON 或 GeoTIFF 文件，或用 format 参数指定正确的格式。',
    );
  }

  if (requested === 'utf-8') return checkedUtf8(bytes, 'utf-8');
  if (requested === 'gb18030') {
    if (hasHighBytes(bytes) && isUtf8(bytes)) {
      throw importUnreadable(
        'encoding=gb18030 (GBK) was given, but the file is UTF-8: reading it as GBK would garble every Chinese character. Import it without the encoding option (or with encoding=utf-8).',
        '指定了 encoding=gb18030（GBK），但该文件实际是 UTF-8 编码：按 GBK 读取会使所有中文变成乱码。请去掉 encoding 参数（或使用 encoding=utf-8）重新导入。',
      );
    }
    return checkedGb18030(bytes, buffer);
  }

  // auto
  if (isUtf8(bytes)) return { text: strictUtf8.decode(bytes), encoding: 'utf-8' };
  const lines = rawLines(bytes);
  const utf8Lines: number[] = [];
  const otherLines: number[] = [];
  lines.forEach((line, i) => {
    if (!hasHighBytes(line)) return;
    (isUtf8(line) ? utf8Lines : otherLines).push(i + 1);
  });
  if (utf8Lines.length > 0) {
    const problems = new ProblemList();
    for (const line of otherLines) {
      problems.add(line, null, null, 'mixed_encoding', 'this line is not UTF-8 while other lines are (GBK text pasted into a UTF-8 file?)', '此行不是 UTF-8 编码，而其他行是（可能把 GBK 文本粘贴进了 UTF-8 文件）');
    }
    throw importUnreadable(
      `The file mixes encodings: ${utf8Lines.length} line(s) are UTF-8 and ${otherLines.length} line(s) are not (first: line ${otherLines[0]}). Open it in Excel or a text editor and save it again in one encoding (CSV UTF-8).`,
      `文件混用了多种编码：${utf8Lines.length} 行为 UTF-8，${otherLines.length} 行不是（首处在第 ${otherLines[0]} 行）。请在 Excel 或文本编辑器中打开，统一另存为一种编码（CSV UTF-8）。`,
      problems.items,
      { encoding: 'mixed' },
    );
  }
  if (gb18030Clean(bytes)) {
    // Big5 (Traditional Chinese) bytes also decode as GB18030, into nonsense; only a
    // statistical guess can tell them apart, and it is used only to refuse.
    const matches = chardet.analyse(bytes);
    const big5 = matches.find((m) => m.name === 'Big5');
    const gb = matches.find((m) => m.name === 'GB18030');
    if (big5 && matches[0]?.name === 'Big5' && big5.confidence >= 50 && (gb?.confidence ?? 0) < big5.confidence) {
      throw importUnreadable(
        'The file looks like Big5 (Traditional Chinese), which is not read here. Save it as "CSV UTF-8" (Excel: Save As → CSV UTF-8) and import that.',
        '该文件看起来是 Big5（繁体中文）编码，本系统不读取该编码。请另存为“CSV UTF-8（逗号分隔）”后再导入。',
      );
    }
    return { text: iconv.decode(buffer, 'gb18030'), encoding: 'gb18030' };
  }
  const guess = chardet.detect(bytes);
  throw importUnreadable(
    `The file is neither UTF-8 nor GB18030/GBK${guess ? ` (it looks like ${guess})` : ''}. Save it as "CSV UTF-8" in Excel, or give the right encoding= option.`,
    `文件既不是 UTF-8 也不是 GB18030/GBK 编码${guess ? `（看起来像 ${GUESS_ZH[guess] ?? guess}）` : ''}。请在 Excel 中另存为“CSV UTF-8（逗号分隔）”，或用 encoding 参数指定正确编码。`,
  );
}

function checkedUtf8(bytes: Uint8Array, encoding: 'utf-8' | 'utf-8-bom'): DecodedText {
  if (isUtf8(bytes)) return { text: strictUtf8.decode(bytes), encoding };
  const problems = new ProblemList();
  rawLines(bytes).forEach((line, i) => {
    if (!isUtf8(line)) {
      const gbk = gb18030Clean(line);
      problems.add(
        i + 1,
        null,
        null,
        'not_utf8',
        `this line is not valid UTF-8${gbk ? ' (it reads as GB18030/GBK)' : ''}`,
        `此行不是有效的 UTF-8 编码${gbk ? '（按 GB18030/GBK 可以读取）' : ''}`,
      );
    }
  });
  const allGbk = gb18030Clean(bytes);
  throw importUnreadable(
    `The file is not valid UTF-8 (${problems.size} line(s), first: line ${problems.items[0]?.row}).${allGbk ? ' It reads cleanly as GB18030/GBK (Chinese Excel "CSV"): import it with encoding=gb18030 or without the encoding option.' : ' Save it again as "CSV UTF-8".'}`,
    `文件不是有效的 UTF-8 编码（${problems.size} 行，首处在第 ${problems.items[0]?.row} 行）。${allGbk ? '按 GB18030/GBK（中文 Excel 默认 CSV）可以正确读取：请使用 encoding=gb18030 或去掉 encoding 参数重新导入。' : '请重新另存为“CSV UTF-8”。'}`,
    problems.items,
  );
}

function checkedGb18030(bytes: Uint8Array, buffer: Buffer): DecodedText {
  const text = iconv.decode(buffer, 'gb18030');
  if (!text.includes('\uFFFD')) return { text, encoding: 'gb18030' };
  const problems = new ProblemList();
  rawLines(bytes).forEach((line, i) => {
    if (!gb18030Clean(line)) problems.add(i + 1, null, null, 'not_gb18030', 'this line is not valid GB18030/GBK', '此行不是有效的 GB18030/GBK 编码');
  });
  throw importUnreadable(
    `The file is not valid GB18030/GBK (${problems.size} line(s)). Check the encoding= option or save the file as "CSV UTF-8".`,
    `文件不是有效的 GB18030/GBK 编码（${problems.size} 行）。请检查 encoding 参数，或将文件另存为“CSV UTF-8”。`,
    problems.items,
  );
}
