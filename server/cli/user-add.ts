/**
 * `npm run user:add -- --name wang.li --role editor [--unit 150430] [--display-name 王丽] [--password …]`
 *
 * Creates a user in the configured database (DATABASE_URL, or the embedded one
 * in DATA_DIR), applying migrations first. Without --password a one-time
 * password is generated and printed once; the user must change it at first
 * login. With --reset on an existing user: a new password (given or generated),
 * sessions ended. Exit code 1 on any error, with the reason.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.ts';
import { openConfiguredDatabase } from '../bootstrap.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { AppError } from '../errors.ts';
import { isRole, ROLES } from '../auth/roles.ts';
import { createUser, normaliseName, resetPassword } from '../auth/service.ts';
import { findUserByName } from '../auth/repository.ts';

const USAGE = `usage: npm run user:add -- --name <login> --role <${ROLES.join('|')}> [--unit <code>] [--display-name <姓名>] [--password <password>]
       npm run user:add -- --name <login> --reset [--password <password>]
  --name          login name: 2–63 letters, digits, . _ - (stored in lower case)
  --role          viewer < planner < editor < admin
  --unit          editors only: the league/banner/township code they may change (e.g. 150430 = 敖汉旗); default: whole region
  --display-name  the name shown in the app and the audit log (default: the login name)
  --password      at least 10 characters; omit to generate a one-time password printed once
  --reset         set a new password (given or generated) for an existing user and end their sessions`;

class UsageError extends Error {}

function parse() {
  const { values } = parseArgs({
    options: {
      name: { type: 'string' },
      role: { type: 'string' },
      unit: { type: 'string' },
      'display-name': { type: 'string' },
      password: { type: 'string' },
      reset: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (!values.name) throw new UsageError(`--name is required\n${USAGE}`);
  if (!values.reset && !values.role) throw new UsageError(`--role is required\n${USAGE}`);
  if (values.role !== undefined && !isRole(values.role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}, got ${values.role}\n${USAGE}`);
  if (values.unit !== undefined && !/^[0-9]{6}([0-9]{3})?$/.test(values.unit)) {
    throw new UsageError(`--unit takes a 6-digit league/banner or 9-digit township code, got ${values.unit}\n${USAGE}`);
  }
  return values;
}

let values: ReturnType<typeof parse>;
try {
  values = parse();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}

const config = loadConfig();
const handle = await openConfiguredDatabase(config, () => {});
try {
  await migrateToLatest(handle.db);
  const name = normaliseName(values.name!);
  if (values.reset) {
    const user = await findUserByName(handle.db, name);
    if (!user) throw new UsageError(`No user '${name}'. 没有此用户。`);
    const { oneTimePassword } = await resetPassword(handle.db, 'system', user.id, values.password);
    console.log(`password of '${name}' reset; the user must change it at next login. 密码已重置。`);
    if (oneTimePassword) console.log(`one-time password (shown once) 一次性密码: ${oneTimePassword}`);
  } else {
    const { user, oneTimePassword } = await createUser(handle.db, 'system', {
      name,
      displayName: values['display-name'] ?? name,
      role: values.role as (typeof ROLES)[number],
      unitCode: values.unit ?? null,
      password: values.password,
    });
    console.log(`created ${user.role} '${user.name}'${user.unitCode ? ` limited to unit ${user.unitCode}` : ''} (id ${user.id}). 用户已创建。`);
    if (oneTimePassword) console.log(`one-time password (shown once; change at first login) 一次性密码: ${oneTimePassword}`);
  }
} catch (error) {
  if (error instanceof AppError) console.error(`${error.messages.en}\n${error.messages.zh}`);
  else console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  await handle.close();
}
