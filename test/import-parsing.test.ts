/** Pure parsing pieces of the import: no database. */
import { describe, expect, it } from 'vitest';
import iconv from 'iconv-lite';
import gcoordModule from 'gcoord';
import { decodeText, normaliseEncodingName } from '../server/importexport/encoding.ts';
import { detectFormat } from '../server/importexport/formats.ts';
import { parseBoolean, parseCoordinate, parseCount, parsePopulation, parseUnitCode, splitList, levelOfCode } from '../server/importexport/values.ts';
import { facilityFields } from '../server/importexport/facilityFields.ts';
import { unitFields } from '../server/importexport/unitPopulations.ts';
import { cellFields } from '../server/importexport/populationCells.ts';
import { departments, facilityTypes, grades } from '../server/importexport/vocab.ts';
import { detectShift, toWgs84 } from '../server/importexport/coords.ts';
import { rasterCrs, roundPreservingTotal } from '../server/importexport/raster.ts';
import { AppError } from '../server/errors.ts';
import { ProblemList } from '../server/importexport/problems.ts';
import { readCsv } from '../server/importexport/tabular.ts';

const gcoord = gcoordModule as unknown as (typeof gcoordModule)['default'];

function unreadable(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError');
}

describe('encodings', () => {
  const text = '机构名称,床位数\r\n敖汉旗医院,800\r\n';
  it.each([
    ['UTF-8', Buffer.from(text), 'utf-8'],
    ['UTF-8 with BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]), 'utf-8-bom'],
    ['GB18030 (Chinese Excel "CSV")', iconv.encode(text, 'gb18030'), 'gb18030'],
    ['UTF-16LE with BOM (Excel "Unicode text")', Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(text, 'utf-16le')]), 'utf-16le'],
    ['UTF-16LE without BOM', iconv.encode('code,name\r\nA-1,x\r\n', 'utf-16le'), 'utf-16le'],
  ])('detects %s', (_label, bytes, encoding) => {
    const decoded = decodeText(bytes);
    expect(decoded.encoding).toBe(encoding);
    expect(decoded.text.replace(/\0/g, '')).toContain(encoding === 'utf-16le' && !decoded.text.includes('机构') ? 'A-1' : '敖汉旗医院');
  });

  it('accepts the usual spellings of the option', () => {
    expect(['GBK', 'gb2312', 'cp936', 'GB18030'].map(normaliseEncodingName)).toEqual(['gb18030', 'gb18030', 'gb18030', 'gb18030']);
    expect(normaliseEncodingName('UTF8')).toBe('utf-8');
    expect(normaliseEncodingName('latin-9')).toBeUndefined();
  });

  it('names the lines of a mixed file and refuses Big5', () => {
    const mixed = Buffer.concat([Buffer.from('名称\n中文一\n'), iconv.encode('中文二\n', 'gbk'), Buffer.from('中文三\n')]);
    const error = unreadable(() => decodeText(mixed));
    expect(error.details?.map((d) => d.row)).toEqual([3]);
    expect(unreadable(() => decodeText(iconv.encode('機構名稱,床位數\n醫院,八百\n', 'big5'))).messages.en).toMatch(/Big5/);
  });
});

describe('formats', () => {
  it('sniffs content before trusting the name', () => {
    expect(detectFormat(Buffer.from('PK\x03\x04rest'), 'data.csv')).toBe('xlsx');
    expect(detectFormat(Buffer.from('II*\0rest'), 'pop.bin')).toBe('geotiff');
    expect(detectFormat(Buffer.from(' {"type":"FeatureCollection"}'), 'x.txt')).toBe('geojson');
    expect(detectFormat(Buffer.from('a,b\n1,2\n'), 'x.txt')).toBe('csv');
    expect(unreadable(() => detectFormat(Buffer.from('%PDF-1.7'), 'x.pdf')).messages.zh).toContain('PDF');
  });
});

describe('cell values', () => {
  it.each([
    ['120', 120],
    ['１２０', 120],
    ['1,234', 1234],
    ['800张', 800],
    ['12.0', 12],
    [' 7 ', 7],
    ['', null],
    ['-', null],
    ['—', null],
  ])('count %s → %s', (raw, value) => {
    expect(parseCount(raw)).toEqual({ ok: true, value });
  });

  it.each([
    ['-3', 'negative'],
    ['12.5', 'not_integer'],
    ['abc', 'not_a_number'],
    ['3000000000', 'out_of_range'],
  ])('count %s is refused (%s)', (raw, code) => {
    expect(parseCount(raw)).toMatchObject({ ok: false, code });
  });

  it('reads populations with 万', () => {
    expect(parsePopulation('44.87万')).toEqual({ ok: true, value: 448_700 });
  });

  it.each([
    ['119.9012', 119.9012],
    ['119°54′04.32″', 119 + 54 / 60 + 4.32 / 3600],
    ['119度54分4.32秒', 119 + 54 / 60 + 4.32 / 3600],
    ['E119.5', 119.5],
    ['42.5N', 42.5],
    ['42.5S', -42.5],
  ])('coordinate %s', (raw, value) => {
    const parsed = parseCoordinate(raw);
    expect(parsed.ok && parsed.value).toBeCloseTo(value, 9);
  });

  it('unit codes: padded forms fold, Excel scientific notation is caught', () => {
    expect(parseUnitCode('150430000000')).toEqual({ ok: true, value: '150430' });
    expect(parseUnitCode('150430100000')).toEqual({ ok: true, value: '150430100' });
    expect(parseUnitCode('150430100201')).toEqual({ ok: true, value: '150430100201' });
    expect(parseUnitCode('1.5043E+11')).toMatchObject({ ok: false, code: 'code_scientific' });
    expect(parseUnitCode('15043')).toMatchObject({ ok: false, code: 'invalid_unit_code' });
    expect(['150000', '150400', '150430', '150430100', '150430100201'].map(levelOfCode)).toEqual(['region', 'league', 'banner', 'township', 'village']);
  });

  it('booleans and lists', () => {
    expect(['是', '否', '√', 'no', ''].map((v) => parseBoolean(v))).toEqual([
      { ok: true, value: true },
      { ok: true, value: false },
      { ok: true, value: true },
      { ok: true, value: false },
      { ok: true, value: null },
    ]);
    expect(parseBoolean('maybe').ok).toBe(false);
    expect(splitList('急诊科,儿科、ICU；精神科（设病房）|发热门诊')).toEqual(['急诊科', '儿科', 'ICU', '精神科（设病房）', '发热门诊']);
  });
});

describe('columns and vocabularies', () => {
  it('maps Chinese, English, bilingual and unit-suffixed headers', () => {
    expect(['机构名称', 'name', '名称', '机构名称 name', '机构名称/Name', '床位数（张）', '床位 (张)', '执业医师数', 'Longitude', '纬度*'].map((h) => facilityFields.lookup(h))).toEqual([
      'name', 'name', 'name', 'name', 'name', 'beds', 'beds', 'staff_doctors', 'lon', 'lat',
    ]);
    expect(unitFields.lookup('统计用区划代码')).toBe('code');
    expect(cellFields.lookup('人口数')).toBe('population');
  });

  it('flags two columns for one field and a missing required one', () => {
    const problems = new ProblemList();
    facilityFields.map(['机构编码', '名称', '机构名称', '经度', '纬度'], problems);
    expect(problems.items.map((p) => p.code).sort()).toEqual(['duplicate_column', 'missing_column']);
  });

  it('accepts taxonomy labels and common Chinese names', () => {
    expect(facilityTypes.lookup('中医（蒙医）医院')?.value).toBe('tcm_hospital');
    expect(facilityTypes.lookup('中心卫生院')).toEqual({ value: 'township_health_centre', implies: { central: true } });
    expect(facilityTypes.lookup('Village clinic')?.value).toBe('village_clinic');
    expect(facilityTypes.lookup('飞船站')).toBeUndefined();
    expect(departments.lookup('重症医学科（ICU）')?.value).toBe('icu');
    expect(grades.lookup('三甲')?.value).toBe('3A');
    expect(facilityTypes.accepted()).toContain('village_clinic (嘎查村卫生室)');
  });

  it('finds the header below title rows', () => {
    const problems = new ProblemList();
    const table = readCsv('名录\n\n序号,机构编码,机构名称\n1,A,甲\n', facilityFields.isKnown, problems);
    expect(table).toMatchObject({ headerRow: 3, headers: ['序号', '机构编码', '机构名称'], rows: [{ row: 4, cells: ['1', 'A', '甲'] }] });
  });
});

describe('coordinates', () => {
  const unit = { unitLon: 119.0, unitLat: 42.9 };
  const near = (dLon: number, dLat: number, row: number) => ({ row, lon: unit.unitLon + dLon, lat: unit.unitLat + dLat, ...unit });

  it('recognises a systematic GCJ-02 offset but not ordinary scatter', () => {
    const [glon, glat] = gcoord.transform([unit.unitLon, unit.unitLat], gcoord.WGS84, gcoord.GCJ02) as [number, number];
    const shifted = [0, 1, 2, 3, 4].map((i) => near(glon - unit.unitLon + (i - 2) * 0.0005, glat - unit.unitLat, i));
    expect(detectShift(shifted, 'wgs84')?.code).toBe('looks_gcj02');
    const scatter = [[0.004, 0.001], [-0.003, 0.002], [0.001, -0.004], [-0.002, -0.001], [0.0005, 0.003]].map(([x, y], i) => near(x!, y!, i));
    expect(detectShift(scatter, 'wgs84')).toBeUndefined();
    expect(detectShift(shifted.slice(0, 2), 'wgs84')).toBeUndefined();
  });

  it('converts GCJ-02 and BD-09 to WGS84', () => {
    const wgs: [number, number] = [119.9, 42.28];
    const gcj = gcoord.transform(wgs, gcoord.WGS84, gcoord.GCJ02) as [number, number];
    const bd = gcoord.transform(wgs, gcoord.WGS84, gcoord.BD09) as [number, number];
    for (const [input, crs] of [[gcj, 'gcj02'], [bd, 'bd09']] as const) {
      const [lon, lat] = toWgs84(input[0], input[1], crs);
      expect(Math.abs(lon - wgs[0])).toBeLessThan(1e-5);
      expect(Math.abs(lat - wgs[1])).toBeLessThan(1e-5);
    }
  });
});

describe('rasters', () => {
  it('rounds people per pixel to whole people keeping the total', () => {
    const values = [0.4, 0.4, 0.4, 2.6, 10.25, 0.1];
    const rounded = roundPreservingTotal(values);
    expect(rounded.every(Number.isInteger)).toBe(true);
    expect(rounded.reduce((a, b) => a + b, 0)).toBe(Math.round(values.reduce((a, b) => a + b, 0)));
  });

  it('identifies the coordinate systems it can read and refuses the others by name', () => {
    expect(rasterCrs({ GTModelTypeGeoKey: 2, GeographicTypeGeoKey: 4326 }).id).toBe('EPSG:4326');
    expect(rasterCrs({ GTModelTypeGeoKey: 1, ProjectedCSTypeGeoKey: 32767, GTCitationGeoKey: 'ESRI PE String = PROJCS["World_Mollweide",…]' }).id).toBe('ESRI:54009');
    expect(rasterCrs({ GTModelTypeGeoKey: 1, ProjectedCSTypeGeoKey: 32650 }).proj).toContain('+zone=50');
    expect(unreadable(() => rasterCrs({ GTModelTypeGeoKey: 1, ProjectedCSTypeGeoKey: 2385 })).messages.en).toContain('2385');
    expect(unreadable(() => rasterCrs({ GTModelTypeGeoKey: 2, GeographicTypeGeoKey: 4214 })).messages.zh).toContain('4214');
    expect(unreadable(() => rasterCrs(null)).messages.en).toContain('no georeferencing');
  });
});
