/**
 * Admins choose the default rule set (issue 7: admin — users, roles, default
 * rule set): POST /api/rule-sets/:id/default with the version they looked at.
 * Evaluations that name no rule set use it at once; it is read-only like every
 * default; the previous default becomes an ordinary rule set; stale versions get
 * 409 and change nothing; only admins may call it; every change is audited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, createTestDatabase, engine, tokenFor, type Credentials, type TestDatabase } from './helpers/db.ts';

describe(`default rule set chosen by admins (${engine})`, () => {
  let db: TestDatabase;
  let app: FastifyInstance;
  let admin: Credentials;
  let planner: Credentials;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await buildTestApp(db, { auth: 'required' });
    admin = await tokenFor(app, 'admin');
    planner = await tokenFor(app, 'planner');
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  const call = (who: Credentials, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: Record<string, unknown>) =>
    app.inject({ method, url, headers: who.headers, ...(payload ? { payload } : {}) });
  const defaults = async () => (await db.db.selectFrom('rule_set').select('id').where('is_default', '=', true).execute()).map((r) => Number(r.id));

  it('makes a copy the default: evaluations without ruleSet use it, it is read-only, the old default is editable by admins', async () => {
    const [original] = await defaults();
    const copy = await call(planner, 'POST', '/api/rule-sets', { name: '2030 规划目标', targetYear: 2030 });
    expect(copy.statusCode, copy.body).toBe(201);
    const { id, version } = copy.json() as { id: number; version: number };

    const made = await call(admin, 'POST', `/api/rule-sets/${id}/default`, { version });
    expect(made.statusCode, made.body).toBe(200);
    expect(made.json()).toMatchObject({ id, isDefault: true, editable: false, targetYear: 2030, version });
    expect(await defaults()).toEqual([id]);

    const evaluation = await call(admin, 'GET', '/api/evaluations?unit=150430&limit=1');
    expect(evaluation.statusCode, evaluation.body.slice(0, 300)).toBe(200);
    expect(evaluation.json().evaluation.ruleSet).toMatchObject({ id, isDefault: true, targetYear: 2030 });

    const edit = await call(planner, 'PATCH', `/api/rule-sets/${id}`, { version, name: '改名' });
    expect(edit.statusCode).toBe(403);
    expect(edit.json()).toMatchObject({ code: 'RuleSetReadOnly' });
    expect(edit.json().messageZh).toMatch(/默认规则集/);

    const old = (await call(admin, 'GET', `/api/rule-sets/${original}`)).json() as { isDefault: boolean; editable: boolean; version: number };
    expect(old).toMatchObject({ isDefault: false, editable: true });
    const renamed = await call(admin, 'PATCH', `/api/rule-sets/${original}`, { version: old.version, name: '原默认规则集' });
    expect(renamed.statusCode, renamed.body).toBe(200);

    const audit = await db.db.selectFrom('audit_log').select(['actor', 'before', 'after']).where('action', '=', 'ruleset.default').execute();
    expect(audit).toHaveLength(1);
    const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
    expect(json(audit[0]!.before)).toEqual({ defaultRuleSetId: original });
    expect(json(audit[0]!.after)).toMatchObject({ defaultRuleSetId: id, targetYear: 2030 });

    // Back to the original; making the default the default again changes nothing.
    const back = await call(admin, 'POST', `/api/rule-sets/${original}/default`, { version: old.version + 1 });
    expect(back.statusCode, back.body).toBe(200);
    expect(await defaults()).toEqual([original]);
    const again = await call(admin, 'POST', `/api/rule-sets/${original}/default`, { version: old.version + 1 });
    expect(again.statusCode).toBe(200);
    expect(await db.db.selectFrom('audit_log').select('id').where('action', '=', 'ruleset.default').execute()).toHaveLength(2);
  });

  it('refuses a stale version (409 with the current one), an unknown rule set (404) and non-admins (403), changing nothing', async () => {
    const before = await defaults();
    const copy = (await call(planner, 'POST', '/api/rule-sets', { name: '过期版本测试' })).json() as { id: number; version: number };
    await call(planner, 'PATCH', `/api/rule-sets/${copy.id}`, { version: copy.version, name: '过期版本测试（已改）' });

    const stale = await call(admin, 'POST', `/api/rule-sets/${copy.id}/default`, { version: copy.version });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().message).toContain(String(copy.version + 1));
    expect(stale.json().messageZh).toMatch(/[\u4e00-\u9fff]/);

    const missing = await call(admin, 'POST', '/api/rule-sets/999999/default', { version: 1 });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('RuleSetNotFound');

    const noVersion = await call(admin, 'POST', `/api/rule-sets/${copy.id}/default`, {});
    expect(noVersion.statusCode).toBe(400);

    const byPlanner = await call(planner, 'POST', `/api/rule-sets/${copy.id}/default`, { version: copy.version + 1 });
    expect(byPlanner.statusCode).toBe(403);

    expect(await defaults()).toEqual(before);
  });
});
