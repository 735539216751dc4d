/**
 * Entry point: read config, open and prepare the database, build the app,
 * listen. SIGINT/SIGTERM close the app (and with it the database) so that a
 * Ctrl-C never loses a write.
 */
import { ConfigError, loadConfig, type Config } from './config.ts';
import { buildApp } from './app.ts';
import { bootstrap } from './bootstrap.ts';
import { assertSafeListen, prepareAuth, StartupRefused } from './auth/startup.ts';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const log = (message: string) => console.log(`[planner] ${message}`);
  try {
    assertSafeListen(config);
  } catch (error) {
    if (error instanceof StartupRefused) {
      console.error(`[planner] ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const db = await bootstrap(config, { log });
  try {
    await prepareAuth(config, db.db);
  } catch (error) {
    await db.close().catch(() => {});
    if (error instanceof StartupRefused) {
      console.error(`[planner] ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  log(`authentication: ${config.auth.mode === 'local' ? 'login-free local mode (everyone is the local admin; loopback only)' : 'required (users log in)'}`);
  const app = await buildApp({ config, db });

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    log(`${signal}: closing (finishing requests, closing the database) …`);
    const timer = setTimeout(() => {
      console.error('[planner] shutdown took longer than 20 s; exiting');
      process.exit(1);
    }, 20_000);
    timer.unref();
    try {
      await app.close();
      log('closed cleanly');
      process.exit(0);
    } catch (error) {
      console.error('[planner] error while closing', error);
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  await app.listen({ host: config.host, port: config.port });
  log(`卫生资源网格规划 ready at http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}/  (API docs: /api/docs)`);
}

main().catch((error) => {
  console.error('[planner] failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
