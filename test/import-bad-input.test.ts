/**
 * Every kind of bad input the issue lists: each answers 4xx listing the problems
 * (row, column, value, reason in English and Chinese) and writes nothing.
 */
import http from 'node:http';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { buildTestApp, createTestDatabase, engine, type TestDatabase } from './helpers/db.ts';
import { csv, fingerprint, insertWengniuteFixture, multipartHead, upload, WNT } from './fixtures/import/kit.ts';

const HEADER = ['机构编码', '机构名称', '机构类型', '所在区划代码', '经度', '纬度', '床位数', '注册护士', '科室'];
const good = (code: string) => [code, `卫生室${code}`, '村卫生室', WNT.villages[0].code, 119.031, 42.941, 0, 1, ''];

interface Problem {
  row: number | null;
  column: string | null;
  value: string | null;
  code: string;
  en: string;
  zh: string;
}

describe(`bad input is refused with every problem listed, and nothing is written (${engine})`, () => {
  let db: TestDatabase;
  let app: FastifyInstance;
  let before: Awaited<ReturnType<typeof fingerprint>>;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await buildTestApp(db);
    await insertWengniuteFixture(db.db);
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });
  beforeEach(async () => {
    before = await fingerprint(db.db);
  });
  afterEach(async () => {
    expect(await fingerprint(db.db)).toEqual(before);
  });

  const commit = (file: Buffer | string, name: string, query: Record<string, string> = {}, kind = 'facilities') => upload(app, kind, file, name, { mode: 'commit', ...query });
  const problems = (res: { json(): { details?: Problem[] } }) => res.json().details ?? [];
  const expectBilingual = (list: Problem[]) => {
    for (const p of list) {
      expect(p.en.length).toBeGreaterThan(5);
      expect(p.zh).toMatch(/[\u4e00-\u9fff]/);
    }
  };

  describe('encoding', () => {
    it('a GBK file declared as UTF-8: the lines and the fix', async () => {
      const gbk = iconv.encode(csv([HEADER, good('E-1')]), 'gbk');
      const res = await commit(gbk, 'gbk.csv', { encoding: 'utf-8' });
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('ImportUnreadable');
      expect(res.json().message).toContain('encoding=gb18030');
      expect(problems(res).map((p) => p.row)).toEqual([1, 2]);
      expectBilingual(problems(res));
    });

    it('a UTF-8 file declared as GBK', async () => {
      const res = await commit(csv([HEADER, good('E-2')]), 'utf8.csv', { encoding: 'gbk' });
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toContain('UTF-8');
    });

    it('a file mixing UTF-8 and GBK lines names the GBK lines', async () => {
      const file = Buffer.concat([Buffer.from(csv([HEADER, good('M-1')])), iconv.encode(csv([good('M-2'), good('M-3')]), 'gbk'), Buffer.from(csv([good('M-4')]))]);
      const res = await commit(file, 'mixed.csv');
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toMatch(/mixes encodings/);
      expect(res.json().messageZh).toContain('混用');
      expect(problems(res).map((p) => p.row)).toEqual([3, 4]);
    });

    it('a binary file posing as CSV', async () => {
      const res = await commit(Buffer.from([0x00, 0x01, 0x02, 0x03, 0xff, 0x00, 0x10, 0x11, 0x00, 0x00, 0x05, 0x06]), 'x.csv');
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toContain('binary');
    });
  });

  it('a missing required column lists the accepted headers and the file’s columns', async () => {
    const res = await commit(csv([['机构名称', '类型', '经度', '纬度'], ['某卫生室', '村卫生室', 119.03, 42.94]]), 'nocode.csv');
    expect(res.statusCode).toBe(422);
    const missing = problems(res).filter((p) => p.code === 'missing_column');
    expect(missing).toHaveLength(1);
    expect(missing[0]!.en).toContain('机构编码');
    expect(missing[0]!.en).toContain('code');
    expect(missing[0]!.zh).toContain('机构名称、类型、经度、纬度');
  });

  it('missing coordinate columns are named too (never a refusal listing no problem)', async () => {
    const res = await commit(csv([['code', 'name', 'type'], ['NC-1', '某卫生室', '村卫生室']]), 'nocoords.csv');
    expect(res.statusCode).toBe(422);
    const missing = problems(res).filter((p) => p.code === 'missing_column');
    expect(missing.map((p) => p.column)).toEqual(['经度', '纬度']);
    expect(res.json().problemCount).toBe(2);
    expectBilingual(missing);
  });

  it('reports every problem of every row at once: types, departments, counts, coordinates, duplicates, units', async () => {
    const rows = [
      HEADER,
      good('OK-1'),
      ['P-2', '怪机构', '宇宙飞船站', WNT.villages[0].code, 119.031, 42.941, 0, 1, ''],
      ['P-3', '某医院', '综合医院', WNT.wudan.code, 119.02, 42.94, -5, 'abc', '占星科、ICU'],
      ['P-4', '北京某院', '综合医院', WNT.wudan.code, 116.4, 39.9, 10, 1, ''],
      ['P-5', '颠倒卫生室', '村卫生室', WNT.villages[0].code, 42.941, 119.031, 0, 1, ''],
      ['OK-1', '重复卫生室', '村卫生室', WNT.villages[0].code, 119.031, 42.941, 0, 1, ''],
      ['P-7', '无乡村卫生室', '村卫生室', '150426199201', 119.031, 42.941, 0, 1, ''],
      ['P-8', '敖汉某院', '综合医院', WNT.wudan.code, 119.9, 42.28, 12.5, 1, ''],
      ['', '', '', '', '', '', '', '', ''],
      ['P-10', '', '', '1.5043E+11', '', '', '', '', ''],
    ];
    const res = await commit(csv(rows), 'many.csv');
    expect(res.statusCode).toBe(422);
    const body = res.json();
    const list = problems(res);
    const at = (row: number, code: string) => list.find((p) => p.row === row && p.code === code);
    expect(at(3, 'unknown_type')!.en).toContain('general_hospital (综合医院)');
    expect(at(3, 'unknown_type')!.value).toBe('宇宙飞船站');
    expect(at(4, 'negative')).toMatchObject({ column: '床位数', value: '-5' });
    expect(at(4, 'not_a_number')).toMatchObject({ column: '注册护士', value: 'abc' });
    expect(at(4, 'unknown_department')!.en).toContain('"占星科"');
    expect(at(4, 'unknown_department')!.en).toContain('psychiatry_ward (精神科（设病房）)');
    expect(at(5, 'outside_region')!.zh).toContain('内蒙古');
    expect(at(6, 'swapped_lat_lon')!.en).toContain('swapped');
    expect(at(7, 'duplicate_code')!.en).toContain('row 2');
    expect(at(8, 'unit_not_found')!.value).toBe('150426199201');
    expect(at(9, 'outside_unit')!.en).toContain('翁牛特旗');
    expect(at(9, 'not_integer')).toMatchObject({ column: '床位数' });
    expect(at(11, 'code_scientific')).toBeTruthy();
    expect(at(11, 'required')).toBeTruthy();
    expect(list.some((p) => p.row === 2)).toBe(false);
    expect(body.problemCount).toBe(list.length);
    expect(body.summary.find((s: { code: string }) => s.code === 'unknown_type').count).toBe(1);
    expectBilingual(list);
    // Validate mode says the same without writing.
    const validate = await upload(app, 'facilities', csv(rows), 'many.csv');
    expect(validate.statusCode).toBe(422);
    expect(validate.json().problemCount).toBe(body.problemCount);
  });

  describe('empty files', () => {
    it.each([
      ['zero bytes', Buffer.alloc(0)],
      ['only a byte-order mark', Buffer.from([0xef, 0xbb, 0xbf])],
      ['blank lines', Buffer.from('\r\n\r\n  \r\n')],
    ])('%s', async (_label, file) => {
      const res = await commit(file, 'empty.csv');
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('ImportUnreadable');
      expect(res.json().messageZh).toContain('空');
    });

    it('a header without rows', async () => {
      const res = await commit(csv([HEADER]), 'header.csv');
      expect(res.statusCode).toBe(422);
      expect(problems(res)[0]!.code).toBe('no_rows');
    });

    it('no file at all', async () => {
      const res = await app.inject({ method: 'POST', url: '/api/imports/facilities?mode=commit' });
      expect(res.statusCode).toBe(400);
      expect(res.json().messageZh).toBeTruthy();
    });
  });

  it('a truncated XLSX', async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('机构');
    sheet.addRow(HEADER);
    for (let i = 0; i < 200; i++) sheet.addRow(good(`X-${i}`));
    const full = Buffer.from(await workbook.xlsx.writeBuffer());
    const res = await commit(full.subarray(0, Math.floor(full.length / 2)), 'cut.xlsx');
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('ImportUnreadable');
    expect(res.json().message).toMatch(/damaged or incomplete/);
    expect(res.json().messageZh).toContain('损坏');
  });

  it('a multipart upload cut off before its closing boundary, or declared multipart but not: 400, bilingual', async () => {
    const boundary = 'cutboundary42';
    const cut = Buffer.concat([multipartHead('cut.csv', boundary, 'text/csv'), Buffer.from(csv([HEADER, good('CUT-1')]))]);
    const notMultipart = Buffer.from(csv([HEADER, good('CUT-2')]));
    for (const payload of [cut, notMultipart]) {
      const res = await app.inject({ method: 'POST', url: '/api/imports/facilities?mode=commit', payload, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json()).toMatchObject({ code: 'InvalidBody' });
      expect(res.json().message).toMatch(/multipart/);
      expect(res.json().messageZh).toMatch(/[\u4e00-\u9fff]/);
    }
  });

  it('an old .xls workbook and a file whose name says XLSX but is not', async () => {
    const xls = Buffer.concat([Buffer.from('d0cf11e0a1b11ae1', 'hex'), Buffer.alloc(512)]);
    expect((await commit(xls, 'old.xls')).json().message).toContain('.xls');
    const fake = await commit(csv([HEADER, good('F-1')]), 'renamed.xlsx');
    expect(fake.statusCode).toBe(400);
    expect(fake.json().message).toContain('zip');
  });

  describe('GeoJSON', () => {
    it.each([
      ['a single Feature', { type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [119, 42.9] } }],
      ['a bare geometry', { type: 'Point', coordinates: [119, 42.9] }],
      ['an array', [1, 2]],
      ['a FeatureCollection without features', { type: 'FeatureCollection' }],
      ['a projected crs', { type: 'FeatureCollection', crs: { type: 'name', properties: { name: 'EPSG:3857' } }, features: [{}] }],
    ])('%s is not a FeatureCollection it can read', async (_label, body) => {
      const res = await commit(JSON.stringify(body), 'x.geojson');
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('ImportUnreadable');
      expect(res.json().messageZh).toBeTruthy();
    });

    it('features with invalid geometry are listed by feature number', async () => {
      const feature = (geometry: unknown, code: string) => ({ type: 'Feature', geometry, properties: { code, name: `卫生室${code}`, type: 'village_clinic', unit_code: WNT.villages[0].code } });
      const res = await commit(
        JSON.stringify({
          type: 'FeatureCollection',
          features: [
            feature({ type: 'Point', coordinates: [119.031, 42.941] }, 'G-1'),
            feature({ type: 'Point', coordinates: ['east', 42] }, 'G-2'),
            feature({ type: 'LineString', coordinates: [[119, 42], [119.1, 42.1]] }, 'G-3'),
            feature(null, 'G-4'),
          ],
        }),
        'pts.geojson',
      );
      expect(res.statusCode).toBe(422);
      expect(problems(res).filter((p) => p.code === 'invalid_geometry').map((p) => p.row)).toEqual([2, 3, 4]);
    });
  });

  describe('a 200 MB upload is refused early, stating the limit', () => {
    const MB = 1024 * 1024;
    function bigBody(bytes: number) {
      let sent = 0;
      const chunk = Buffer.alloc(MB, 0x41);
      const stream = new Readable({
        read() {
          if (sent >= bytes) return this.push(null);
          sent += chunk.length;
          this.push(chunk);
        },
      });
      return { stream, sent: () => sent };
    }

    it('from its Content-Length, before reading the body', async () => {
      const body = bigBody(200 * MB);
      const res = await app.inject({
        method: 'POST',
        url: '/api/imports/facilities?mode=commit',
        headers: { 'content-type': 'text/csv', 'content-length': String(200 * MB) },
        payload: body.stream,
      });
      expect(res.statusCode).toBe(413);
      expect(res.json()).toMatchObject({ code: 'PayloadTooLarge', limitBytes: 100 * MB });
      expect(res.json().message).toContain('100 MB');
      expect(res.json().messageZh).toContain('100 MB');
      expect(body.sent()).toBeLessThan(2 * MB);
    });

    it('while streaming a multipart upload without Content-Length, stopping at the limit', async () => {
      const boundary = '----planner-big-upload';
      const head = multipartHead('big.csv', boundary);
      const body = bigBody(200 * MB);
      const stream = Readable.from(
        (async function* () {
          yield head;
          for await (const chunk of body.stream) yield chunk as Buffer;
        })(),
      );
      const res = await app.inject({
        method: 'POST',
        url: '/api/imports/facilities?mode=commit',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'transfer-encoding': 'chunked' },
        payload: stream,
      });
      expect(res.statusCode).toBe(413);
      expect(res.json().message).toContain('100 MB');
      expect(body.sent()).toBeLessThan(110 * MB);
    });

    it('over a real socket, answering before the client has sent the body', async () => {
      await app.listen({ port: 8121, host: '127.0.0.1' });
      try {
        const body = bigBody(200 * MB);
        const result = await new Promise<{ status: number; text: string; sent: number }>((resolve, reject) => {
          const req = http.request(
            { host: '127.0.0.1', port: 8121, method: 'POST', path: '/api/imports/facilities?mode=commit', headers: { 'content-type': 'text/csv', 'content-length': String(200 * MB) } },
            (res) => {
              let text = '';
              res.on('data', (d) => (text += d));
              res.on('end', () => resolve({ status: res.statusCode ?? 0, text, sent: body.sent() }));
            },
          );
          req.on('error', (error) => (body.sent() > 0 ? undefined : reject(error)));
          body.stream.pipe(req);
        });
        expect(result.status).toBe(413);
        expect(result.text).toContain('100 MB');
        expect(result.sent).toBeLessThan(100 * MB);
      } finally {
        await app.close();
        app = await buildTestApp(db);
      }
    });
  });
});
