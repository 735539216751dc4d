/**
 * Scenario evaluations while edits keep moving the data version (what the
 * reliability load test does with registry edits): never a 500 — the
 * incremental path retries on fresh data, then falls back to evaluating the
 * scenario in one snapshot — and the figures are those of a quiet evaluation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { buildTestApp, createTestDatabase, engine, type TestDatabase } from './helpers/db.ts';

describe(`scenario evaluation under a moving data version (${engine})`, () => {
  let db: TestDatabase;
  let app: FastifyInstance;
  let scenario: { id: number; version: number };

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await buildTestApp(db);
    const { rows } = await sql<{ id: number }>`
      SELECT id FROM facility WHERE banner_code = '150430' AND type = 'village_clinic' AND status = 'open' ORDER BY id LIMIT 1`.execute(db.db);
    const created = (await app.inject({ method: 'POST', url: '/api/scenarios', payload: { name: '并发编辑' } })).json();
    const added = await app.inject({ method: 'POST', url: `/api/scenarios/${created.id}/changes`, payload: { version: created.version, change: { kind: 'close_facility', facilityId: Number(rows[0]!.id) } } });
    expect(added.statusCode, added.body).toBe(201);
    scenario = { id: created.id, version: added.json().scenario.version };
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  /** Bump the data version (as every registry edit does) every few milliseconds until stopped. */
  function churn(): { stop: () => Promise<number> } {
    let running = true;
    let bumps = 0;
    const loop = (async () => {
      while (running) {
        await sql`UPDATE data_state SET data_version = data_version + 1 WHERE id = 1`.execute(db.db);
        bumps++;
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    return {
      stop: async () => {
        running = false;
        await loop;
        return bumps;
      },
    };
  }

  const summary = (body: { rules: { total: number; byStatus: unknown }; access: unknown[] }) => ({ rules: body.rules.byStatus, total: body.rules.total, access: body.access });

  it('answers the evaluation and the diff (no 500), with the figures a quiet evaluation gives', async () => {
    const edits = churn();
    let evaluation;
    let diff;
    try {
      evaluation = await app.inject({ method: 'GET', url: `/api/scenarios/${scenario.id}/evaluation?unit=150430` });
      diff = await app.inject({ method: 'GET', url: `/api/scenarios/${scenario.id}/diff?unit=150430` });
    } finally {
      const bumps = await edits.stop();
      expect(bumps).toBeGreaterThan(0);
    }
    expect(evaluation.statusCode, evaluation.body.slice(0, 500)).toBe(200);
    expect(diff.statusCode, diff.body.slice(0, 500)).toBe(200);
    // Only the version moved, not the data: the same figures as an evaluation on quiet data.
    const quiet = await app.inject({ method: 'GET', url: `/api/scenarios/${scenario.id}/evaluation?unit=150430` });
    expect(quiet.statusCode).toBe(200);
    expect(quiet.json().stats.base).not.toBe('full');
    expect(summary(evaluation.json())).toEqual(summary(quiet.json()));
    expect(diff.json().facilities.map((f: { what: string }) => f.what)).toEqual(['closed']);
  }, 300_000);

  it('answers the merge advisor (no 500): candidates an edit overtook are listed unevaluated with the reason', async () => {
    const edits = churn();
    let res;
    try {
      res = await app.inject({ method: 'GET', url: '/api/merge-advisor?unit=150430&limit=500' });
    } finally {
      await edits.stop();
    }
    expect(res.statusCode, res.body.slice(0, 500)).toBe(200);
    const candidates = res.json().candidates as { effect: unknown; problem: { en: string; zh: string } | null }[];
    expect(candidates.length).toBeGreaterThan(0);
    for (const c of candidates) if (c.effect === null) expect(c.problem, 'an unevaluated candidate says why').not.toBeNull();
  }, 300_000);
});
