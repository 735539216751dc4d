/**
 * The rule routes end to end through app.inject(): catalogue, rule-set CRUD
 * with optimistic versions, evaluations with filters and roll-ups, the cache
 * and its invalidation, CSV/XLSX export, and a bilingual 4xx for every bad input.
 * (GET /api/evaluations is rate-limited as "expensive": this file stays well
 * under the per-minute limit.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import { buildTestApp, createTestDatabase, engine, type TestDatabase } from './helpers/db.ts';
import { insertFacility, insertUnit } from './helpers/fixtures.ts';
import { bumpDataVersion } from '../server/facilities/repository.ts';

let db: TestDatabase;
let app: FastifyInstance;
const BANNER = '152922'; // 阿拉善右旗

const get = (url: string) => app.inject({ method: 'GET', url });
const send = (method: 'POST' | 'PATCH' | 'DELETE', url: string, payload?: Record<string, unknown>) =>
  payload === undefined ? app.inject({ method, url }) : app.inject({ method, url, payload });

function expectBilingual400(res: { statusCode: number; json(): { message: string; messageZh: string; code: string } }, status = 400) {
  expect(res.statusCode).toBe(status);
  const body = res.json();
  expect(body.message.length).toBeGreaterThan(10);
  expect(body.messageZh).toMatch(/[\u4e00-\u9fff]/);
  return body;
}

beforeAll(async () => {
  db = await createTestDatabase();
  app = await buildTestApp(db);
  await sql`UPDATE facility SET status = 'closed' WHERE league_code = '152900'`.execute(db.db);
  await db.db.updateTable('admin_unit').set({ population: 22_647, population_urban: null }).where('code', '=', BANNER).execute();
  await insertUnit(db.db, { code: '152922901', parent: BANNER, level: 'township', name: '测试镇', population: 2000 });
  await insertUnit(db.db, { code: '152922901001', parent: '152922901', level: 'village', name: '小村', population: 300, lon: 101.0, lat: 39.0 });
  await insertFacility(db.db, { lon: 101.69, lat: 39.21, type: 'general_hospital', unit_code: BANNER, run_by_level: 'banner', grade: '2', beds: 120, staff_doctors: 40, staff_nurses: 50, departments: ['psychiatry_clinic', 'paediatrics_ward'], synthetic: true, name: '阿拉善右旗人民医院' });
  await insertFacility(db.db, { lon: 101.6, lat: 39.1, type: 'township_health_centre', unit_code: '152922901', staff_doctors: 2, staff_gps: 0, name: '测试镇卫生院' });
});
afterAll(async () => {
  await app?.close();
  await db?.dispose();
});

describe(`GET /api/rules (${engine})`, () => {
  it('lists the catalogue with kinds, forces, targets by year and resolved citations', async () => {
    const res = await get('/api/rules');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.rules.length).toBeGreaterThanOrEqual(40);
    const ward = body.rules.find((r: { id: string }) => r.id === 'im-psych-ward-pop-gt-300k');
    expect(ward).toMatchObject({ kind: 'presence_by_population', force: 'must', levels: ['banner'] });
    expect(ward.citations[0]).toMatchObject({ ref: '000', lineRange: '000:694-696', draft: false });
    expect(ward.citations[0].quote).toContain('超过 30 万');
    const gp = body.rules.find((r: { id: string }) => r.id === 's2-gp-per-10k');
    expect(gp.targets).toEqual([{ year: 2025, min: 3 }, { year: 2030, min: 5 }]);
    expect(gp.citations[0].draft).toBe(true);
    expect(body.kinds.map((k: { kind: string }) => k.kind)).toEqual(
      expect.arrayContaining(['presence_by_population', 'presence_per_unit', 'facility_requirement', 'share_of_facilities', 'ratio_per_population', 'village_clinic_coverage']),
    );
    expect(body.sources).toHaveLength(5);
  });

  it('gets one rule, and 404s an unknown id bilingually', async () => {
    expect((await get('/api/rules/s2-village-joint-clinic-500')).json().spec).toEqual({ jointBelowPopulation: 500 });
    expect(expectBilingual400(await get('/api/rules/no-such-rule'), 404).code).toBe('RuleNotFound');
  });
});

describe(`rule sets (${engine})`, () => {
  let copy: { id: number; version: number };

  it('has a read-only default set whose parameters are visible assumptions', async () => {
    const list = (await get('/api/rule-sets')).json();
    const def = list.ruleSets[0];
    expect(def).toMatchObject({ isDefault: true, editable: false, targetYear: 2025 });
    const full = (await get(`/api/rule-sets/${def.id}`)).json();
    expect(full.params.rules).toMatchObject({ adjacencyMetres: 3000, adjacencyMode: 'listed_or_distance', populationBasis: 'resident' });
    expect(full.params.access).toBeTypeOf('object');
    const adjacency = full.assumptions.find((a: { key: string }) => a.key === 'rules.adjacencyMetres');
    expect(adjacency.description.zh).toContain('假设');
    const res = await send('PATCH', `/api/rule-sets/${def.id}`, { version: def.version, name: 'x' });
    expect(expectBilingual400(res, 403).code).toBe('RuleSetReadOnly');
  });

  it('copies the default with changed parameters and writes an audit row', async () => {
    const res = await send('POST', '/api/rule-sets', { name: '敖汉测试 2030', targetYear: 2030, params: { rules: { adjacencyMetres: 5000 } }, disabledRules: ['im-beds-per-1k'] });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ isDefault: false, editable: true, targetYear: 2030, version: 1, disabledRules: ['im-beds-per-1k'] });
    expect(body.params.rules.adjacencyMetres).toBe(5000);
    expect(body.params.rules.adjacencyMode).toBe('listed_or_distance');
    copy = { id: body.id, version: body.version };
    const audit = await db.db.selectFrom('audit_log').select(['action', 'entity_id']).where('entity_type', '=', 'rule_set').execute();
    expect(audit).toContainEqual({ action: 'ruleset.create', entity_id: String(copy.id) });
  });

  it('changes a copy with its version; a stale version gets 409 and changes nothing', async () => {
    const ok = await send('PATCH', `/api/rule-sets/${copy.id}`, { version: copy.version, params: { rules: { adjacencyMode: 'listed_only' } } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ version: 2, params: { rules: { adjacencyMode: 'listed_only', adjacencyMetres: 5000 } } });
    const stale = await send('PATCH', `/api/rule-sets/${copy.id}`, { version: copy.version, name: 'lost update' });
    const body = expectBilingual400(stale, 409);
    expect(body).toMatchObject({ code: 'VersionConflict', currentVersion: 2 });
    expect((await get(`/api/rule-sets/${copy.id}`)).json().name).toBe('敖汉测试 2030');
    copy.version = 2;
  });

  it('refuses bad input bilingually and writes nothing', async () => {
    const before = (await get(`/api/rule-sets/${copy.id}`)).json();
    expectBilingual400(await send('PATCH', `/api/rule-sets/${copy.id}`, { version: copy.version, params: { rules: { adjacencyMetres: -5 } } }));
    const misspelt = expectBilingual400(await send('PATCH', `/api/rule-sets/${copy.id}`, { version: copy.version, params: { rules: { adjacencyMeters: 1000 } } }));
    expect(misspelt.message).toContain('rules.adjacencyMeters');
    expectBilingual400(await send('PATCH', `/api/rule-sets/${copy.id}`, { version: copy.version, params: { access: { bogus: 1 } } }));
    expectBilingual400(await send('PATCH', `/api/rule-sets/${copy.id}`, { version: copy.version, params: { rulez: {} } }));
    expect(expectBilingual400(await send('PATCH', `/api/rule-sets/${copy.id}`, { version: copy.version, disabledRules: ['no-such-rule'] })).code).toBe('RuleNotFound');
    expectBilingual400(await send('PATCH', `/api/rule-sets/${copy.id}`, { version: copy.version, targetYear: 2027 }));
    expectBilingual400(await send('PATCH', `/api/rule-sets/${copy.id}`, { name: 'no version' }));
    expectBilingual400(await send('PATCH', `/api/rule-sets/${copy.id}`, { version: copy.version, params: { access: { detourFactor: 99 } } }));
    expectBilingual400(await send('POST', '/api/rule-sets', { name: '   ' }));
    expect(expectBilingual400(await send('POST', '/api/rule-sets', { name: 'x', basedOn: 999999 }), 404).code).toBe('RuleSetNotFound');
    expect(expectBilingual400(await get('/api/rule-sets/999999'), 404).code).toBe('RuleSetNotFound');
    expectBilingual400(await get('/api/rule-sets/abc'));
    expect((await get(`/api/rule-sets/${copy.id}`)).json()).toEqual(before);
  });

  it('deletes a copy with its version, never the default', async () => {
    const extra = (await send('POST', '/api/rule-sets', { name: 'to delete', basedOn: copy.id })).json();
    expect(extra.basedOnId).toBe(copy.id);
    expect((await send('DELETE', `/api/rule-sets/${extra.id}?version=9`)).statusCode).toBe(409);
    expect((await send('DELETE', `/api/rule-sets/${extra.id}?version=1`)).statusCode).toBe(204);
    expect((await get(`/api/rule-sets/${extra.id}`)).statusCode).toBe(404);
    const def = (await get('/api/rule-sets')).json().ruleSets[0];
    expect((await send('DELETE', `/api/rule-sets/${def.id}?version=${def.version}`)).statusCode).toBe(403);
  });
});

describe(`GET /api/evaluations (${engine})`, () => {
  it('evaluates a banner subtree: complete rows, roll-ups equal to the rows, worst first', async () => {
    const res = await get(`/api/evaluations?unit=${BANNER}&limit=5000`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.unit).toEqual({ code: BANNER, name: '阿拉善右旗', level: 'banner' });
    expect(body.evaluation).toMatchObject({ ruleSet: { isDefault: true, targetYear: 2025 }, scenario: null, cached: false, synthetic: true });
    expect(body.evaluation.engineVersion).toMatch(/^rules-/);
    expect(body.numberMatched).toBe(body.results.length);
    expect(body.summary.total).toBe(body.results.length);
    const byStatus = body.summary.byStatus;
    expect(byStatus.pass + byStatus.fail + byStatus.not_applicable + byStatus.unknown).toBe(body.results.length);
    expect(body.children.map((c: { unit: { code: string } }) => c.unit.code)).toEqual(['152922901']);
    expect(body.children[0].total).toBe(body.results.filter((r: { unit: { code: string } }) => r.unit.code.startsWith('152922901')).length);
    // Worst first: failures before the rest, must before target.
    const statuses: string[] = body.results.map((r: { status: string }) => r.status);
    expect(statuses.indexOf('pass')).toBeGreaterThan(statuses.lastIndexOf('fail'));
    const clinic = body.results.find((r: { ruleId: string }) => r.ruleId === 'im-psych-clinic-pop-le-300k');
    expect(clinic).toMatchObject({
      status: 'pass',
      statusLabel: { zh: '达标' },
      force: 'must',
      unit: { code: BANNER, level: 'banner', leagueCode: '152900', bannerCode: BANNER },
      ruleSet: { version: 1 },
      versions: { scenario: null },
      facilities: { count: 1, items: [{ name: '阿拉善右旗人民医院', role: 'counted' }] },
    });
    expect(clinic.citations[0].lineRange).toBe('000:696-698');
    const beds = body.results.find((r: { ruleId: string; unit: { code: string } }) => r.ruleId === 'im-beds-per-1k');
    // 120 beds ÷ 22,647 × 1,000 = 5.30; 7.5 × 22.647 − 120 = 49.85 → 50 beds short.
    expect(beds.measured.value).toBeCloseTo(5.299, 3);
    expect(beds.shortfall).toMatchObject({ value: 50, text: { zh: '床位缺口 50 张', en: 'short of 50 beds' } });
    expect(beds.indicative).toBe(true);
    expect(beds.target).toMatchObject({ year: 2025, min: 7.5, max: null });
  });

  it('serves repeated and subtree requests from the cache until the data changes', async () => {
    const again = (await get(`/api/evaluations?unit=${BANNER}&limit=1`)).json();
    expect(again.evaluation.cached).toBe(true);
    const township = (await get('/api/evaluations?unit=152922901&limit=100')).json();
    expect(township.evaluation.cached).toBe(true);
    expect(township.results.every((r: { unit: { townshipCode: string | null; code: string } }) => r.unit.townshipCode === '152922901')).toBe(true);
    const version = await db.db.transaction().execute((trx) => bumpDataVersion(trx));
    const fresh = (await get(`/api/evaluations?unit=${BANNER}&limit=1`)).json();
    expect(fresh.evaluation).toMatchObject({ cached: false, dataVersion: version });
  });

  it('filters by status, force, rule, level and topic; pages', async () => {
    const fails = (await get(`/api/evaluations?unit=${BANNER}&status=fail&force=must&limit=5000`)).json();
    expect(fails.numberMatched).toBeGreaterThan(0);
    expect(fails.results.every((r: { status: string; force: string }) => r.status === 'fail' && r.force === 'must')).toBe(true);
    // The roll-up still counts every row of the subtree, filters only select the list.
    expect(fails.summary.total).toBeGreaterThan(fails.numberMatched);
    const one = (await get(`/api/evaluations?unit=${BANNER}&rule=im-staff-township-chc,im-psych-primary-capacity&level=township`)).json();
    expect(new Set(one.results.map((r: { ruleId: string }) => r.ruleId))).toEqual(new Set(['im-staff-township-chc', 'im-psych-primary-capacity']));
    expect(one.results.find((r: { ruleId: string }) => r.ruleId === 'im-staff-township-chc').status).toBe('pass');
    const tcm = (await get(`/api/evaluations?unit=${BANNER}&topic=tcm&limit=2&offset=1`)).json();
    expect(tcm.numberReturned).toBe(2);
    expect(tcm.results.every((r: { topic: string }) => r.topic === 'tcm')).toBe(true);
  });

  it('evaluates with a rule set copy: its version, year and disabled rules', async () => {
    const rs = (await send('POST', '/api/rule-sets', { name: '2030', targetYear: 2030, disabledRules: ['im-beds-per-1k'] })).json();
    const body = (await get(`/api/evaluations?unit=${BANNER}&ruleSet=${rs.id}&rule=s2-gp-per-10k,s3-nurses-per-1000,im-beds-per-1k`)).json();
    expect(body.evaluation.ruleSet).toMatchObject({ id: rs.id, version: 1, targetYear: 2030 });
    expect(body.results.map((r: { ruleId: string }) => r.ruleId)).not.toContain('im-beds-per-1k');
    expect(body.results.find((r: { ruleId: string }) => r.ruleId === 's2-gp-per-10k').target.min).toBe(5);
    expect(body.evaluation.rulesNotEvaluated).toContainEqual(expect.objectContaining({ ruleId: 'im-beds-per-1k' }));
  });

  it('answers every bad input with a bilingual 4xx', async () => {
    expect(expectBilingual400(await get('/api/evaluations?unit=1504')).code).toBe('InvalidUnitCode');
    expect(expectBilingual400(await get('/api/evaluations?unit=159999'), 404).code).toBe('UnitNotFound');
    expect(expectBilingual400(await get('/api/evaluations?ruleSet=999999'), 404).code).toBe('RuleSetNotFound');
    expectBilingual400(await get('/api/evaluations?ruleSet=abc'));
    // The scenario feature plugs its contexts in (rules/service.ts#setScenarioContextProvider): an unknown scenario is its 404.
    expect(expectBilingual400(await get(`/api/evaluations?unit=${BANNER}&scenario=999999`), 404).code).toBe('ScenarioNotFound');
    expectBilingual400(await get(`/api/evaluations?unit=${BANNER}&scenario=x7`));
    expectBilingual400(await get(`/api/evaluations?unit=${BANNER}&status=broken`));
    expectBilingual400(await get(`/api/evaluations?unit=${BANNER}&force=maybe`));
    expect(expectBilingual400(await get(`/api/evaluations?unit=${BANNER}&rule=nope`)).code).toBe('RuleNotFound');
    expectBilingual400(await get(`/api/evaluations?unit=${BANNER}&level=county`));
    expectBilingual400(await get(`/api/evaluations?unit=${BANNER}&limit=0`));
    expectBilingual400(await get(`/api/evaluations/export?unit=${BANNER}&format=pdf`));
    expect((await get(`/api/evaluations?unit=${BANNER}&scenario=baseline&limit=1`)).statusCode).toBe(200);
  });
});

describe(`GET /api/evaluations/export (${engine})`, () => {
  it('CSV: UTF-8 with BOM, bilingual headers, one line per filtered row', async () => {
    const res = await get(`/api/evaluations/export?unit=${BANNER}&status=fail`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    expect(res.headers['content-disposition']).toMatch(/attachment; filename="rule-evaluation-152922-rs\d+v1-d\d+\.csv"/);
    const text = res.rawPayload.toString('utf8');
    expect(text.charCodeAt(0)).toBe(0xfeff);
    const lines = text.slice(1).trim().split('\r\n');
    expect(lines[0]).toContain('规则编号 Rule id');
    const list = (await get(`/api/evaluations?unit=${BANNER}&status=fail&limit=5000`)).json();
    // Quoted fields may hold line breaks (citations): count records, not lines.
    const records = text.slice(1).trim().split(/\r\n(?=(?:[^"]*"[^"]*")*[^"]*$)/);
    expect(records.length - 1).toBe(list.numberMatched);
    expect(text).toContain('床位缺口');
  });

  it('XLSX: results, assumptions and provenance sheets', async () => {
    const res = await get(`/api/evaluations/export?unit=${BANNER}&format=xlsx&topic=capacity`);
    expect(res.statusCode).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    const sheet = wb.getWorksheet('评估结果 Results')!;
    const list = (await get(`/api/evaluations?unit=${BANNER}&topic=capacity&limit=5000`)).json();
    expect(sheet.rowCount - 1).toBe(list.numberMatched);
    expect(String(sheet.getRow(1).getCell(1).value)).toBe('规则编号 Rule id');
    expect(wb.getWorksheet('假设 Assumptions')!.rowCount).toBeGreaterThan(5);
    const about = wb.getWorksheet('说明 About')!;
    const values = about.getColumn(2).values.map(String).join(' ');
    expect(values).toContain('synthetic');
  });
});
