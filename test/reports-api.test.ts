/**
 * Gap reports through the API (app.inject, real database with the complete
 * Aohan Banner): the HTML report carries the psychiatric-ward rule with its
 * citation and the beds-per-1,000 shortfall exactly as /api/evaluations gives
 * it; the XLSX has one sheet per table with as many rows as the API has
 * results; one table as CSV with BOM; a scenario's report shows its diff and
 * memo paragraph as /api/scenarios/:id/diff gives them; bad requests are 4xx
 * with message and messageZh; a scenario report needs the scenario's read
 * permission; the CLI writes the same files. The PDF is tested in the browser
 * suite (test/browser/reports-pdf.test.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import ExcelJS from 'exceljs';
import Papa from 'papaparse';
import { sql } from 'kysely';
import { buildTestApp, createTestDatabase, loginAs, type TestDatabase } from './helpers/db.ts';
import { escapeXml } from '../server/reports/map.ts';
import { PdfRenderer } from '../server/reports/pdf.ts';
import { runReportCommand } from '../server/reports/cli.ts';
import { AppError } from '../server/errors.ts';
import { fmt } from '../server/rules/text.ts';
import { SOURCES } from '../server/rules/sources.ts';

const AOHAN = '150430';
const REPORT = `/api/reports/units/${AOHAN}`;

interface ApiResult {
  ruleId: string;
  unit: { code: string };
  status: string;
  shortfall: { value: number; text: { zh: string; en: string } } | null;
  citations: { lineRange: string; quote: string }[];
  title: { zh: string; en: string };
}

function expectBilingual4xx(res: { statusCode: number; json(): unknown }, status: number): { message: string; messageZh: string } {
  expect(res.statusCode).toBe(status);
  const body = res.json() as { message: string; messageZh: string };
  expect(body.message).toMatch(/\w/);
  expect(body.messageZh).toMatch(/[\u4e00-\u9fff]/);
  return body;
}

async function workbook(body: Buffer): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(body as unknown as ArrayBuffer);
  return wb;
}

describe('gap reports (API)', () => {
  let db: TestDatabase;
  let app: FastifyInstance;
  let evaluation: ApiResult[];

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await buildTestApp(db);
    const res = await app.inject({ url: `/api/evaluations?unit=${AOHAN}&limit=5000` });
    expect(res.statusCode, res.body).toBe(200);
    evaluation = res.json().results;
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  const own = (ruleId: string) => evaluation.find((r) => r.ruleId === ruleId && r.unit.code === AOHAN)!;

  it('HTML for Aohan Banner: the psychiatric-ward rule with its citation, the beds-per-1,000 shortfall as the API gives it', async () => {
    const res = await app.inject({ url: `${REPORT}?format=html` });
    expect(res.statusCode, res.body.slice(0, 500)).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.headers['content-disposition']).toMatch(/^inline; filename="/);
    const html = res.body;
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toContain('敖汉旗');

    const psych = own('im-psych-ward-pop-gt-300k');
    expect(psych.status).toBe('fail');
    expect(html).toContain(escapeXml(psych.title.zh));
    for (const c of psych.citations) {
      expect(html).toContain(escapeXml(c.lineRange));
      expect(html).toContain(escapeXml(c.quote));
    }
    expect(html).toContain(escapeXml(psych.shortfall!.text.zh));

    // Beds per 1,000: the region's ratio and Aohan's own plan target (001) — both shortfalls printed as the API words them.
    for (const ruleId of ['im-beds-per-1k', 'ah-beds-per-1k']) {
      const beds = own(ruleId);
      expect(beds, ruleId).toBeDefined();
      if (beds.status !== 'fail') continue;
      expect(beds.shortfall!.value).toBeGreaterThan(0);
      expect(html).toContain(escapeXml(beds.shortfall!.text.zh));
      expect(beds.shortfall!.text.zh).toContain(fmt(beds.shortfall!.value, 0));
    }
    expect(own('ah-beds-per-1k').status).toBe('fail');

    // Print layout: A4, repeated headers, rows kept whole, page numbers; every section.
    expect(html).toMatch(/@page \{ size: A4/);
    expect(html).toContain('thead { display: table-header-group; }');
    expect(html).toMatch(/break-inside: avoid/);
    expect(html).toContain('counter(pages)');
    for (const title of ['一、概况', '二、地图', '三、规则核查清单', '四、可达性', '五、嘎查村卫生室与撤并建议', '附录：假设、定义与数据来源']) expect(html).toContain(title);
    expect(html).not.toContain('六、情景与现状对比');
    expect(html).toMatch(/<svg [^>]*role="img"/);
    expect(html).toContain('合成数据');
    expect(html).not.toMatch(/<script/i);
  });

  it('English on request', async () => {
    const res = await app.inject({ url: `${REPORT}?format=html&lang=en` });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<html lang="en">');
    expect(res.body).toContain(escapeXml(own('im-psych-ward-pop-gt-300k').title.en));
    expect(res.body).toContain('Rule checklist');
  });

  it('XLSX: one sheet per table, the rule sheet has every result /api/evaluations has', async () => {
    const res = await app.inject({ url: `${REPORT}?format=xlsx` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('spreadsheetml');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename=".*\.xlsx"; filename\*=UTF-8''/);
    const wb = await workbook(res.rawPayload);
    const names = wb.worksheets.map((w) => w.name);
    expect(names).toEqual(['说明', '机构类型', '最严重缺口', '规则清单', '下级规则汇总', '下级不达标', '可达性', '分单位可达性', '15分钟服务圈', '时限外村', '无本村卫生室', '撤并建议', '参数与假设', '政策文件', '数据来源', '未评估规则']);
    const rows = (name: string) => wb.getWorksheet(name)!.actualRowCount - 1;
    expect(rows('规则清单')).toBe(evaluation.length);
    expect(rows('下级不达标')).toBe(evaluation.filter((r) => r.unit.code !== AOHAN && (r.status === 'fail' || r.status === 'unknown')).length);
    expect(rows('最严重缺口')).toBe(3);
    const { rows: townships } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM admin_unit WHERE parent_code = ${AOHAN}`.execute(db.db);
    expect(rows('分单位可达性')).toBe(Number(townships[0]!.n));
    expect(rows('15分钟服务圈')).toBe(Number(townships[0]!.n) + 1);
    expect(rows('可达性')).toBe(6);
    expect(rows('政策文件')).toBe(Object.keys(SOURCES).length);
    // Numbers stay numbers; the shortfall in the sheet is the API's value.
    const sheet = wb.getWorksheet('规则清单')!;
    const header = (sheet.getRow(1).values as unknown[]).map(String);
    const col = (label: string) => header.indexOf(label);
    let found = false;
    sheet.eachRow((row, n) => {
      if (n === 1) return;
      if (row.getCell(col('规则编号')).value === 'ah-beds-per-1k' && row.getCell(col('单位代码')).value === AOHAN) {
        found = true;
        expect(row.getCell(col('缺口值')).value).toBe(own('ah-beds-per-1k').shortfall!.value);
      }
    });
    expect(found).toBe(true);
  });

  it('CSV of one table with BOM; without a known table 400', async () => {
    const res = await app.inject({ url: `${REPORT}?format=csv&table=rules` });
    expect(res.statusCode).toBe(200);
    expect(res.body.charCodeAt(0)).toBe(0xfeff);
    const parsed = Papa.parse<string[]>(res.body.slice(1).trim(), { skipEmptyLines: true });
    expect(parsed.data.length - 1).toBe(evaluation.length);
    expect(parsed.data[0]).toContain('依据（文件:行「原文」）');
    expectBilingual4xx(await app.inject({ url: `${REPORT}?format=csv` }), 400);
    expectBilingual4xx(await app.inject({ url: `${REPORT}?format=csv&table=nope` }), 400);
    // Scenario tables exist only for a scenario.
    expectBilingual4xx(await app.inject({ url: `${REPORT}?format=csv&table=scenario_rules` }), 400);
  });

  it('unknown unit or scenario → 404, bad parameters → 400, each with message and messageZh', async () => {
    expectBilingual4xx(await app.inject({ url: '/api/reports/units/150499' }), 404);
    expectBilingual4xx(await app.inject({ url: `${REPORT}?scenario=987654` }), 404);
    expectBilingual4xx(await app.inject({ url: `${REPORT}?ruleSet=987654` }), 404);
    expectBilingual4xx(await app.inject({ url: '/api/reports/units/abc' }), 400);
    expectBilingual4xx(await app.inject({ url: `${REPORT}?format=docx` }), 400);
    expectBilingual4xx(await app.inject({ url: `${REPORT}?lang=fr` }), 400);
    const { rows } = await sql<{ code: string }>`SELECT code FROM admin_unit WHERE banner_code = ${AOHAN} AND level = 'village' ORDER BY code LIMIT 1`.execute(db.db);
    const village = expectBilingual4xx(await app.inject({ url: `/api/reports/units/${rows[0]!.code}` }), 400);
    expect(village.message).toContain(rows[0]!.code.slice(0, 9));
  });

  it('a scenario report shows what changes against the baseline, as /api/scenarios/:id/diff says', async () => {
    const { rows } = await sql<{ id: number; departments: string[] }>`
      SELECT id, departments FROM facility WHERE banner_code = ${AOHAN} AND name = '敖汉旗医院'`.execute(db.db);
    const hospital = rows[0]!;
    const created = await app.inject({ method: 'POST', url: '/api/scenarios', payload: { name: '旗医院增设精神科病房' } });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as number;
    const change = await app.inject({
      method: 'POST',
      url: `/api/scenarios/${id}/changes`,
      payload: { version: created.json().version, change: { kind: 'update_facility', facilityId: Number(hospital.id), set: { departments: [...hospital.departments, 'psychiatry_ward'] } } },
    });
    expect(change.statusCode, change.body).toBe(201);

    const diff = await app.inject({ url: `/api/scenarios/${id}/diff?unit=${AOHAN}` });
    expect(diff.statusCode, diff.body).toBe(200);
    const d = diff.json();
    const fixed = (d.rules.changes as { ruleId: string; unit: { code: string }; direction: string }[]).filter((c) => c.direction === 'fixed' && c.unit.code === AOHAN).map((c) => c.ruleId);
    expect(fixed).toContain('im-psych-ward-pop-gt-300k');

    const res = await app.inject({ url: `${REPORT}?scenario=${id}` });
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
    const html = res.body;
    expect(html).toContain('六、情景与现状对比');
    expect(html).toContain(escapeXml(d.summary.zh));
    expect(html).toContain('旗医院增设精神科病房');
    expect(html).toContain(`变为达标 ${d.rules.fixed} 项`);
    // The checklist is the scenario's: the psychiatric-ward rule now passes at the banner.
    const scenarioEval = await app.inject({ url: `/api/evaluations?unit=${AOHAN}&scenario=${id}&rule=im-psych-ward-pop-gt-300k&level=banner` });
    expect(scenarioEval.statusCode, scenarioEval.body).toBe(200);
    expect(scenarioEval.json().results[0].status).toBe('pass');

    const xlsx = await app.inject({ url: `${REPORT}?scenario=${id}&format=xlsx` });
    expect(xlsx.statusCode).toBe(200);
    const wb = await workbook(xlsx.rawPayload);
    expect(wb.getWorksheet('情景变更')!.actualRowCount - 1).toBe(1);
    expect(wb.getWorksheet('情景规则变化')!.actualRowCount - 1).toBe(d.rules.changes.length);
    expect(wb.getWorksheet('情景机构变化')!.actualRowCount - 1).toBe(d.facilities.length);
  });

  it('without Chromium a PDF is a 503 in both languages pointing to the HTML', async () => {
    const renderer = new PdfRenderer({ executablePath: '/nonexistent/chromium' });
    const error = await renderer.render('<html></html>', '/api/reports/units/150430?format=html').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    const e = error as AppError;
    expect(e.statusCode).toBe(503);
    expect(e.messages.en).toContain('format=html');
    expect(e.messages.zh).toContain('HTML');
    await renderer.close();
  });

  it('npm run report: one file, a batch into a directory, bad arguments', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reports-cli-'));
    try {
      const lines: string[] = [];
      const io = { db: db.db, out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
      const file = path.join(dir, 'aohan.xlsx');
      expect(await runReportCommand(['--unit', AOHAN, '--format', 'xlsx', '--out', file], io)).toBe(0);
      const wb = await workbook(fs.readFileSync(file));
      expect(wb.getWorksheet('规则清单')!.actualRowCount - 1).toBe(evaluation.length);
      // Two units in one run: one evaluation, one file each, progress lines.
      const out = path.join(dir, 'batch');
      expect(await runReportCommand(['--unit', `${AOHAN},150000`, '--format', 'html', '--out', out], io)).toBe(0);
      expect(fs.readdirSync(out).sort()).toEqual(['内蒙古自治区-150000-baseline-2025-zh.html', '敖汉旗-150430-baseline-2025-zh.html']);
      expect(lines.some((l) => /^\[[12]\/2\] 150000 /.test(l))).toBe(true);
      expect(await runReportCommand(['--unit', AOHAN, '--format', 'docx', '--out', file], io)).toBe(2);
      expect(await runReportCommand(['--format', 'html', '--out', file], io)).toBe(2);
      expect(await runReportCommand(['--unit', '150499', '--format', 'html', '--out', path.join(dir, 'x.html')], io)).toBe(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('gap reports: scenario privacy (authentication required)', () => {
  let db: TestDatabase;
  let app: FastifyInstance;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await buildTestApp(db, { auth: 'required' });
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  it("another user's private scenario is a 404, as GET /api/scenarios/:id; anonymous callers get 401", async () => {
    const owner = await loginAs(app, 'planner');
    const stranger = await loginAs(app, 'planner');
    const created = await app.inject({ method: 'POST', url: '/api/scenarios', headers: owner.headers, payload: { name: '私有情景' } });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as number;
    expect((await app.inject({ url: `/api/scenarios/${id}`, headers: stranger.headers })).statusCode).toBe(404);
    expectBilingual4xx(await app.inject({ url: `${REPORT}?scenario=${id}&format=csv&table=scenario_changes`, headers: stranger.headers }), 404);
    const mine = await app.inject({ url: `${REPORT}?scenario=${id}&format=csv&table=scenario_changes`, headers: owner.headers });
    expect(mine.statusCode, mine.body.slice(0, 300)).toBe(200);
    expect((await app.inject({ url: REPORT })).statusCode).toBe(401);
  });
});
