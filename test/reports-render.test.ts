/**
 * The report renderers as pure functions (no database): HTML tables (number
 * formats, escaping, the "full list in Excel" note), the SVG map (projection
 * inside the frame, no NaN, escaped names, legend counts), Excel sheet names
 * and the download header for Chinese file names.
 */
import { describe, expect, it } from 'vitest';
import { htmlTable } from '../server/reports/html.ts';
import { renderMapSvg, type MapData } from '../server/reports/map.ts';
import { sheetName } from '../server/reports/xlsx.ts';
import { contentDisposition } from '../server/reports/routes.ts';
import type { ReportTable } from '../server/reports/tables.ts';

const table: ReportTable = {
  key: 'villages_out_of_reach',
  sheet: { zh: '时限外村', en: 'Villages out of reach' },
  title: { zh: '时限外人口最多的嘎查村', en: 'Villages with the most people out of reach' },
  columns: [
    { key: 'name', label: { zh: '嘎查村', en: 'Village' }, kind: 'text', width: 18 },
    { key: 'gap', label: { zh: '时限外', en: 'Out of reach' }, kind: 'int', width: 10 },
    { key: 'share', label: { zh: '可达比例', en: 'Share' }, kind: 'pct', width: 10 },
  ],
  rows: [
    ['<b>甲村</b>', 12345, 0.8765],
    ['乙村', 0, null],
    ['丙村', 7, 1],
  ],
  note: { zh: '说明', en: 'note' },
};

describe('htmlTable', () => {
  it('formats numbers, escapes text, repeats its header as thead', () => {
    const html = htmlTable(table, 'zh');
    expect(html).toContain('<thead><tr><th>嘎查村</th><th class="n">时限外</th><th class="n">可达比例</th></tr></thead>');
    expect(html).toContain('<td class="n">12,345</td><td class="n">87.7%</td>');
    expect(html).toContain('&lt;b&gt;甲村&lt;/b&gt;');
    expect(html).not.toContain('<b>甲村');
    expect(html).toContain('<p class="note">说明</p>');
  });

  it('prints the first rows of a long table and names the Excel sheet with all of them', () => {
    const html = htmlTable(table, 'en', { limit: 2 });
    expect((html.match(/<tr>/g) ?? []).length).toBe(3); // header + 2 rows
    expect(html).toContain('First 2 of 3 rows; the full list is in the Excel sheet “Villages out of reach”.');
  });

  it('says "(none)" for an empty table', () => {
    expect(htmlTable({ ...table, rows: [] }, 'zh')).toContain('（无）');
  });
});

describe('renderMapSvg', () => {
  const data: MapData = {
    level: 'banner',
    name: '测试旗',
    bbox: [119.0, 42.0, 120.0, 43.0],
    boundary: { type: 'Polygon', coordinates: [[[119.05, 42.05], [119.95, 42.05], [119.95, 42.95], [119.05, 42.95], [119.05, 42.05]]] },
    children: [],
    places: [{ name: '新<惠>镇', lon: 119.5, lat: 42.5 }],
    facilities: [
      { group: 'general', lon: 119.5, lat: 42.5 },
      { group: 'village', lon: 119.2, lat: 42.2 },
    ],
    groups: [
      { key: 'general', count: 1 },
      { key: 'village', count: 1 },
    ],
    omittedTypes: [],
    gaps: [{ population: 120, geometry: { type: 'Polygon', coordinates: [[[119.8, 42.8], [119.9, 42.8], [119.9, 42.9], [119.8, 42.8]]] } }],
    gapTotals: { areas: 1, population: 120, drawn: 1 },
    villages: [{ name: '远村', lon: 119.85, lat: 42.85, gap: 120 }],
    villageTotals: { villages: 1, people: 120, drawn: 1 },
    circleClass: null,
  };

  it('draws inside its frame, without NaN, with escaped names and the legend counts', () => {
    const svg = renderMapSvg(data, 'zh');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
    expect(svg).toContain('新&lt;惠&gt;镇');
    expect(svg).toContain('综合医院、中西医结合医院（1）');
    expect(svg).toContain('1 片，120 人');
    const [, , width, height] = /viewBox="(\d+) (\d+) (\d+) (\d+)"/.exec(svg)!.slice(1).map(Number) as [number, number, number, number];
    for (const m of svg.matchAll(/<circle cx="([-\d.]+)" cy="([-\d.]+)"/g)) {
      expect(Number(m[1])).toBeGreaterThanOrEqual(0);
      expect(Number(m[1])).toBeLessThanOrEqual(width);
      expect(Number(m[2])).toBeGreaterThanOrEqual(0);
      expect(Number(m[2])).toBeLessThanOrEqual(height);
    }
    expect(renderMapSvg(data, 'en')).toContain('General / integrated hospital (1)');
  });
});

describe('file names', () => {
  it('Excel sheet names: at most 31 characters, no []:*?/\\, unique', () => {
    const taken = new Set<string>();
    expect(sheetName('a/b[c]:d*e?f\\g', taken)).toBe('a b c  d e f g');
    const long = 'x'.repeat(40);
    expect(sheetName(long, taken)).toHaveLength(31);
    expect(sheetName(long, taken)).toBe(`${'x'.repeat(28)} 2`);
  });

  it('Content-Disposition carries the Chinese name (RFC 5987) and an ASCII fallback', () => {
    const header = contentDisposition('attachment', '敖汉旗-150430-baseline-2025-zh.xlsx');
    expect(header).toBe(`attachment; filename="150430-baseline-2025-zh.xlsx"; filename*=UTF-8''${encodeURIComponent('敖汉旗-150430-baseline-2025-zh.xlsx')}`);
  });
});
