import type { TestProject } from 'vitest/node';
import { buildPgliteTemplate, buildPostgresTemplate } from './template.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string;
    postgresTemplate: string;
    databaseUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const log = (m: string) => console.log(`[test-setup] ${m}`);
  const url = process.env.DATABASE_URL;
  if (url) {
    log(`engine: PostgreSQL/PostGIS (${url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@')})`);
    project.provide('databaseUrl', url);
    project.provide('postgresTemplate', await buildPostgresTemplate(url, log));
    project.provide('pgliteTemplate', '');
  } else {
    log('engine: embedded PGlite + PostGIS');
    project.provide('databaseUrl', '');
    project.provide('postgresTemplate', '');
    project.provide('pgliteTemplate', await buildPgliteTemplate(log));
  }
}
