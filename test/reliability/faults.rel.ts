/**
 * Faults: SIGKILL the server process in the middle of a large import and in the
 * middle of registry edits, restart it, and check on each engine (PGlite
 * always; PostgreSQL too when DATABASE_URL is set) that
 *
 *  - the database holds the whole import or none of it (never part), the
 *    server restarts on the crashed database, and the import then completes
 *    and is idempotent;
 *  - every acknowledged edit survived (an edit in flight at the kill may or may
 *    not have landed — but whole, with its audit row, or not at all).
 *
 * The same for scenario edits (changes added with versions to four scenarios):
 * every acknowledged change is stored once and in order, an unacknowledged one
 * in flight at the kill whole (with its audit row and version bump) or not at all.
 *
 * RELIABILITY_IMPORT_ROWS (default 30000) sets the size of the import.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { inject } from 'vitest';
import { call, envInt, materializeDatabase, spawnServer, type ServerDatabase, type ServerProcess } from './harness.ts';

const ROWS = envInt('RELIABILITY_IMPORT_ROWS', 30_000);
const ADMIN_PASSWORD = 'fault-test-root-password';
const ENGINES: ('pglite' | 'postgres')[] = inject('databaseUrl') ? ['pglite', 'postgres'] : ['pglite'];

async function adminToken(base: string): Promise<Record<string, string>> {
  const login = await call(base, 'POST', '/api/auth/login', { body: { name: 'admin', password: ADMIN_PASSWORD } });
  if (login.status !== 200) throw new Error(`admin login: ${login.status} ${login.text}`);
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const csrf = (login.body as { csrfToken: string }).csrfToken;
  const token = await call(base, 'POST', '/api/auth/tokens', { headers: { cookie, 'x-csrf-token': csrf }, body: { name: 'faults' } });
  return { authorization: `Bearer ${(token.body as { token: string }).token}` };
}

async function importFile(base: string, headers: Record<string, string>, csv: string, mode: 'validate' | 'commit') {
  return call(base, 'POST', `/api/imports/facilities?mode=${mode}&filename=faults.csv`, {
    headers: { ...headers, 'content-type': 'text/csv; charset=utf-8' },
    body: csv,
    timeoutMs: 600_000,
  });
}

for (const engine of ENGINES) {
  describe(`faults: SIGKILL during an import, registry edits and scenario edits (${engine})`, () => {
    let database: ServerDatabase;
    let server: ServerProcess | undefined;
    const port = engine === 'pglite' ? 8153 : 8154;
    const env = () => ({ ...database.env, AUTH_MODE: 'required', ADMIN_INITIAL_PASSWORD: ADMIN_PASSWORD, RATE_LIMIT_LOGIN: '0', RATE_LIMIT_EXPENSIVE: '0', RATE_LIMIT_API: '0' });
    let csv = '';
    let baseline = 0;

    async function count(): Promise<{ rows: number; dataVersion: number }> {
      // On the embedded engine the server process holds the data directory: read it while the server is down.
      const handle = await database.open();
      try {
        const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM facility WHERE code LIKE 'FAULT-%'`.execute(handle.db);
        const state = await handle.db.selectFrom('data_state').select('data_version').executeTakeFirstOrThrow();
        return { rows: rows[0]!.n, dataVersion: Number(state.data_version) };
      } finally {
        await handle.close();
      }
    }

    beforeAll(async () => {
      database = await materializeDatabase(engine);
      const handle = await database.open();
      try {
        const { rows } = await sql<{ lon: number; lat: number; unit_code: string }>`
          SELECT ST_X(location) AS lon, ST_Y(location) AS lat, unit_code FROM facility WHERE banner_code = '150430' ORDER BY id LIMIT 500`.execute(handle.db);
        const lines = ['code,name,type,ownership,unit_code,lon,lat,beds'];
        for (let i = 0; i < ROWS; i += 1) {
          const p = rows[i % rows.length]!;
          const jitter = ((i % 97) - 48) / 1_000_000;
          lines.push(`FAULT-${String(i).padStart(6, '0')},故障测试诊所 ${i},outpatient_clinic,private,${p.unit_code},${(p.lon + jitter).toFixed(6)},${(p.lat - jitter).toFixed(6)},${i % 20}`);
        }
        csv = `${lines.join('\n')}\n`;
        baseline = Number((await handle.db.selectFrom('data_state').select('data_version').executeTakeFirstOrThrow()).data_version);
      } finally {
        await handle.close();
      }
    });

    afterAll(async () => {
      await server?.kill('SIGKILL');
      await database?.dispose();
    });

    it('an import killed mid-way leaves all of it or none of it; acknowledged edits survive a kill; the server restarts every time', async () => {
      // ── 1. SIGKILL during the import (while parsing/staging, and while writing/committing) ──
      server = await spawnServer(env(), { port });
      let headers = await adminToken(server.url);
      const validate = await importFile(server.url, headers, csv, 'validate');
      expect(validate.status, validate.text.slice(0, 500)).toBe(200);
      const validateMs = validate.ms;
      const outcomes: string[] = [];
      let committed = false;
      for (const fraction of [0.5, 1.6]) {
        if (server.child.exitCode !== null || server.child.signalCode !== null) {
          server = await spawnServer(env(), { port });
          headers = await adminToken(server.url);
        }
        const killAt = Math.round(validateMs * fraction);
        let answered: number | null = null;
        const pending = importFile(server.url, headers, csv, 'commit').then(
          (r) => (answered = r.status),
          () => (answered = -1),
        );
        await new Promise((resolve) => setTimeout(resolve, killAt));
        const finishedBeforeKill = answered !== null && answered !== -1;
        await server.kill('SIGKILL');
        await pending;
        const after = await count();
        outcomes.push(`kill at ${killAt} ms (${fraction}× validate): ${finishedBeforeKill ? `the import had answered ${answered} first` : 'mid-request'} → ${after.rows} of ${ROWS} rows, data version ${after.dataVersion}`);
        expect([0, ROWS]).toContain(after.rows);
        if (after.rows === ROWS) {
          committed = true;
          break; // committed before the kill: a later kill would only re-import unchanged rows
        }
        // Nothing of the import is visible, nor its data-version bump.
        expect(after.dataVersion).toBe(baseline);
      }
      expect(outcomes.filter((o) => o.includes('mid-request')).length).toBeGreaterThan(0);

      // ── 2. SIGKILL during registry edits ──
      const handle = await database.open();
      let facilities: { id: number; version: number; beds: number | null }[];
      try {
        facilities = (await handle.db
          .selectFrom('facility')
          .select(['id', 'version', 'beds'])
          .where('banner_code', '=', '150430')
          .where('code', 'not like', 'FAULT-%')
          .orderBy('id')
          .limit(6)
          .execute()) as typeof facilities;
      } finally {
        await handle.close();
      }
      const state = facilities.map((f) => ({ id: Number(f.id), start: f.version, version: f.version, beds: f.beds ?? 0, acked: 0, inFlight: null as null | { version: number; beds: number } }));
      server = await spawnServer(env(), { port });
      headers = await adminToken(server.url);
      let stop = false;
      const editsStarted = Date.now();
      const writers = state.map(async (s) => {
        while (!stop) {
          const beds = s.beds + 1;
          s.inFlight = { version: s.version + 1, beds };
          try {
            const r = await call(server!.url, 'PATCH', `/api/facilities/${s.id}`, { headers, body: { version: s.version, beds }, timeoutMs: 30_000 });
            if (r.status !== 200) throw new Error(`edit answered ${r.status}: ${r.text.slice(0, 200)}`);
            s.version = (r.body as { version: number }).version;
            s.beds = beds;
            s.acked += 1;
            s.inFlight = null;
          } catch (error) {
            if (!stop) throw error;
            return; // the server is gone; this edit's fate is checked below
          }
        }
      });
      // Kill once every writer has had a few edits acknowledged.
      while (state.some((s) => s.acked < 3) && Date.now() - editsStarted < 60_000) await new Promise((resolve) => setTimeout(resolve, 50));
      await new Promise((resolve) => setTimeout(resolve, 137));
      stop = true;
      await server.kill('SIGKILL');
      await Promise.all(writers);
      const check = await database.open();
      let inFlightLanded = 0;
      try {
        const rows = await check.db.selectFrom('facility').select(['id', 'version', 'beds']).where('id', 'in', state.map((s) => s.id)).execute();
        for (const s of state) {
          const row = rows.find((r) => Number(r.id) === s.id)!;
          if (row.version === s.version) {
            expect(row.beds, `facility ${s.id}`).toBe(s.beds);
          } else {
            // The edit in flight committed before the kill but was never acknowledged: whole.
            expect(s.inFlight, `facility ${s.id} version ${row.version} vs acknowledged ${s.version}`).not.toBeNull();
            expect({ version: row.version, beds: row.beds }).toEqual(s.inFlight);
            inFlightLanded += 1;
          }
          const audits = await check.db
            .selectFrom('audit_log')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('action', '=', 'facility.update')
            .where('entity_id', '=', String(s.id))
            .executeTakeFirstOrThrow();
          expect(Number(audits.n), `audit rows of facility ${s.id}`).toBe(row.version - s.start);
        }
      } finally {
        await check.close();
      }
      const acked = state.reduce((a, s) => a + s.acked, 0);
      outcomes.push(`kill during edits: ${acked} edits acknowledged, all present; ${inFlightLanded} unacknowledged in-flight edit(s) landed whole, ${state.length - inFlightLanded} not at all`);

      // ── 2b. SIGKILL during scenario edits ──
      server = await spawnServer(env(), { port });
      headers = await adminToken(server.url);
      const scenarios: { id: number; start: number; version: number; acked: number[]; inFlight: number | null }[] = [];
      for (let i = 0; i < 4; i += 1) {
        const created = await call(server.url, 'POST', '/api/scenarios', { headers, body: { name: `故障测试情景 ${i}` } });
        expect(created.status, created.text).toBe(201);
        const body = created.body as { id: number; version: number };
        scenarios.push({ id: body.id, start: body.version, version: body.version, acked: [], inFlight: null });
      }
      let stopScenarios = false;
      const scenarioStarted = Date.now();
      const scenarioWriters = scenarios.map(async (sc, i) => {
        for (let n = 1; !stopScenarios; n += 1) {
          // Each change sets a bed count unique to this request: stored changes match acknowledged ones one to one.
          const beds = 500_000 + i * 10_000 + n;
          sc.inFlight = beds;
          try {
            const r = await call(server!.url, 'POST', `/api/scenarios/${sc.id}/changes`, {
              headers,
              body: { version: sc.version, change: { kind: 'update_facility', facilityId: state[i % state.length]!.id, set: { beds } } },
              timeoutMs: 30_000,
            });
            if (r.status !== 201) throw new Error(`scenario change answered ${r.status}: ${r.text.slice(0, 200)}`);
            sc.version = (r.body as { scenario: { version: number } }).scenario.version;
            sc.acked.push(beds);
            sc.inFlight = null;
          } catch (error) {
            if (!stopScenarios) throw error;
            return;
          }
        }
      });
      while (scenarios.some((sc) => sc.acked.length < 3) && Date.now() - scenarioStarted < 60_000) await new Promise((resolve) => setTimeout(resolve, 50));
      await new Promise((resolve) => setTimeout(resolve, 91));
      stopScenarios = true;
      await server.kill('SIGKILL');
      await Promise.all(scenarioWriters);
      const checkScenarios = await database.open();
      let scenarioInFlightLanded = 0;
      try {
        for (const sc of scenarios) {
          const rows = await checkScenarios.db.selectFrom('scenario_change').select(['seq', 'payload']).where('scenario_id', '=', sc.id).orderBy('seq').execute();
          const stored = rows.map((r) => ((typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload) as { set: { beds: number } }).set.beds);
          const version = (await checkScenarios.db.selectFrom('scenario').select('version').where('id', '=', sc.id).executeTakeFirstOrThrow()).version;
          if (stored.length === sc.acked.length) {
            expect(stored, `scenario ${sc.id}`).toEqual(sc.acked);
          } else {
            // The change in flight committed before the kill but was never acknowledged: whole, last.
            expect(stored, `scenario ${sc.id}`).toEqual([...sc.acked, sc.inFlight]);
            scenarioInFlightLanded += 1;
          }
          expect(version, `version of scenario ${sc.id}`).toBe(sc.start + stored.length);
          const audits = await checkScenarios.db
            .selectFrom('audit_log')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('action', '=', 'scenario.change.add')
            .where('entity_id', '=', String(sc.id))
            .executeTakeFirstOrThrow();
          expect(Number(audits.n), `audit rows of scenario ${sc.id}`).toBe(stored.length);
        }
      } finally {
        await checkScenarios.close();
      }
      const scenarioAcked = scenarios.reduce((a, sc) => a + sc.acked.length, 0);
      outcomes.push(`kill during scenario edits: ${scenarioAcked} changes acknowledged, all present once and in order; ${scenarioInFlightLanded} unacknowledged in-flight change(s) landed whole, ${scenarios.length - scenarioInFlightLanded} not at all`);

      // ── 3. restart on the twice-crashed database: the import completes, once ──
      server = await spawnServer(env(), { port });
      headers = await adminToken(server.url);
      const complete = await importFile(server.url, headers, csv, 'commit');
      expect(complete.status, complete.text.slice(0, 500)).toBe(200);
      expect((complete.body as { counts: { created: number } }).counts.created).toBe(committed ? 0 : ROWS);
      const again = await importFile(server.url, headers, csv, 'commit');
      expect(again.status).toBe(200);
      expect((again.body as { counts: { created: number; updated: number } }).counts).toMatchObject({ created: 0, updated: 0 });
      const { code } = await server.kill('SIGTERM');
      expect(code).toBe(0);
      expect((await count()).rows).toBe(ROWS);
      console.log(`[faults ${engine}] import of ${ROWS} rows (validate ${Math.round(validateMs)} ms, commit ${Math.round(complete.ms)} ms):\n  ${outcomes.join('\n  ')}`);
    });
  });
}
