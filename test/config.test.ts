import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { ConfigError, DEFAULT_AUTH, loadConfig } from '../server/config.ts';

describe('config', () => {
  it('uses the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toEqual({
      host: '127.0.0.1',
      port: 8080,
      databaseUrl: undefined,
      dataDir: path.resolve('./data'),
      logLevel: 'info',
      basemapUrl: undefined,
      auth: DEFAULT_AUTH,
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      HOST: '0.0.0.0',
      PORT: '9000',
      DATABASE_URL: 'postgres://u@db:5432/planner',
      DATA_DIR: '/var/lib/planner',
      LOG_LEVEL: 'warn',
    });
    expect(config).toMatchObject({ host: '0.0.0.0', port: 9000, databaseUrl: 'postgres://u@db:5432/planner', dataDir: '/var/lib/planner', logLevel: 'warn' });
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '' }).port).toBe(8080);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ PORT: '-1' }, 'PORT'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ DATABASE_URL: 'mysql://root@localhost/x' }, 'DATABASE_URL'],
  ])('refuses %j naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^Invalid configuration:\\n  ${variable}=`));
  });
});
