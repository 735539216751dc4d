import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { postgisVersion } from '../db/index.ts';
import { migrationState } from '../db/migrate.ts';

const Health = Type.Object({
  status: Type.Literal('ok'),
  engine: Type.Union([Type.Literal('pglite'), Type.Literal('postgres')], {
    description: 'pglite = embedded PostgreSQL+PostGIS (WASM); postgres = PostgreSQL server',
  }),
  postgis: Type.String({ description: 'PostGIS library version' }),
  migration: Type.Object({ latest: Type.Union([Type.String(), Type.Null()]), applied: Type.Integer() }),
  dataVersion: Type.Integer({ description: 'Bumped by every edit or import' }),
  units: Type.Record(Type.String(), Type.Integer(), { description: 'Loaded admin units by level' }),
});

const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/health',
    { schema: { tags: ['system'], summary: 'Engine, PostGIS version, migration level, data loaded', response: { 200: Health } } },
    async () => {
      const [postgis, migration, state, levels] = await Promise.all([
        postgisVersion(app.db),
        migrationState(app.db),
        app.db.selectFrom('data_state').select('data_version').where('id', '=', 1).executeTakeFirst(),
        app.db
          .selectFrom('admin_unit')
          .select((eb) => ['level', eb.fn.countAll<number>().as('n')])
          .groupBy('level')
          .execute(),
      ]);
      return {
        status: 'ok' as const,
        engine: app.dbHandle.engine,
        postgis,
        migration: { latest: migration.latest, applied: migration.applied.length },
        dataVersion: Number(state?.data_version ?? 0),
        units: Object.fromEntries(levels.map((l) => [l.level, Number(l.n)])),
      };
    },
  );
};

export default healthRoutes;
