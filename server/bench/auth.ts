/**
 * What authentication costs: one scrypt hash (every login), and the per-request
 * overhead of the auth hook — no credentials (login-free mode), a session
 * cookie, an API token — measured with app.inject on GET /api/auth/me (which
 * does nothing but authenticate) and on a real read. Runs inside a transaction
 * that is rolled back, so the bench user, session and token never persist.
 */
import { performance } from 'node:perf_hooks';
import type { Bench } from './registry.ts';
import { buildApp } from '../app.ts';
import { DEFAULT_AUTH } from '../config.ts';
import { hashPassword } from '../auth/passwords.ts';
import { createSession, createToken, insertUser } from '../auth/repository.ts';

class Rollback extends Error {}

export const authBench: Bench = {
  name: 'auth',
  async run(ctx) {
    const hashes = 8;
    let t0 = performance.now();
    for (let i = 0; i < hashes; i += 1) await hashPassword(`bench password ${i}`);
    ctx.report('scrypt password hash (N=2^15, r=8)', (performance.now() - t0) / hashes, 'ms', 'paid once per login');

    try {
      await ctx.db.transaction().execute(async (trx) => {
        const handle = { db: trx, engine: ctx.engine, close: async () => {} };
        const noLimits = { login: 0, expensive: 0, api: 0 };
        const local = await buildApp({ config: { logLevel: 'silent', auth: { ...DEFAULT_AUTH, rateLimits: noLimits } }, db: handle, closeDatabase: false, web: false });
        const required = await buildApp({ config: { logLevel: 'silent', auth: { ...DEFAULT_AUTH, mode: 'required', rateLimits: noLimits } }, db: handle, closeDatabase: false, web: false });
        await Promise.all([local.ready(), required.ready()]);
        try {
          const user = await insertUser(trx, { name: 'bench.user', displayName: 'bench', role: 'viewer', unitCode: null, passwordHash: await hashPassword('bench password x'), mustChangePassword: false });
          const session = await createSession(trx, user.id, 1);
          const { token } = await createToken(trx, user.id, 'bench', 1);
          const n = 300;
          // Best of three rounds after a warm-up, so JIT and caches do not favour whichever runs last.
          const measure = async (app: typeof local, url: string, headers: Record<string, string>) => {
            for (let i = 0; i < 50; i += 1) await app.inject({ method: 'GET', url, headers });
            let best = Infinity;
            for (let round = 0; round < 3; round += 1) {
              t0 = performance.now();
              for (let i = 0; i < n; i += 1) {
                const r = await app.inject({ method: 'GET', url, headers });
                if (r.statusCode !== 200) throw new Error(`${url}: ${r.statusCode}`);
              }
              best = Math.min(best, (performance.now() - t0) / n);
            }
            return best;
          };
          const none = await measure(local, '/api/auth/me', {});
          const bySession = await measure(required, '/api/auth/me', { cookie: `planner_session=${session.token}` });
          const byToken = await measure(required, '/api/auth/me', { authorization: `Bearer ${token}` });
          ctx.report('GET /api/auth/me, login-free mode', none, 'ms/request', `best of 3 × ${n} sequential requests, in-process`);
          ctx.report('GET /api/auth/me, session cookie', bySession, 'ms/request', `+${(bySession - none).toFixed(2)} ms for the session lookup`);
          ctx.report('GET /api/auth/me, API token', byToken, 'ms/request', `+${(byToken - none).toFixed(2)} ms for the token lookup`);
          const read = '/api/units/150430';
          const readLocal = await measure(local, read, {});
          const readSession = await measure(required, read, { cookie: `planner_session=${session.token}` });
          ctx.report(`GET ${read}, login-free / session`, readSession, 'ms/request', `login-free ${readLocal.toFixed(2)} ms: auth is ${(((readSession - readLocal) / readSession) * 100).toFixed(0)} % of a real read`);
        } finally {
          await local.close();
          await required.close();
        }
        throw new Rollback();
      });
    } catch (error) {
      if (!(error instanceof Rollback)) throw error;
    }
  },
};
