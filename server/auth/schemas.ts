/** Request and response schemas of the auth, admin, audit and sharing routes. No schema has a password hash field. */
import { Type, type Static } from 'typebox';
import { ROLES } from './roles.ts';
import { PASSWORD_MAX_LENGTH } from './passwords.ts';

export const RoleSchema = Type.Unsafe<(typeof ROLES)[number]>({
  type: 'string',
  enum: [...ROLES],
  description: 'viewer < planner < editor < admin',
});

export const LoginName = Type.String({
  minLength: 2,
  maxLength: 63,
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{1,62}$',
  description: 'Login name: letters, digits, . _ - (stored in lower case)',
  examples: ['wang.li'],
});

/** Editors' unit subtree: a league or banner (6 digits) or township (9 digits) code. */
export const ScopeUnitCode = Type.String({ pattern: '^[0-9]{6}([0-9]{3})?$', description: 'League/banner (6 digits) or township (9 digits) code', examples: ['150430'] });

export const PasswordField = Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH });

export const User = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  displayName: Type.String(),
  role: RoleSchema,
  unitCode: Type.Union([Type.String(), Type.Null()], { description: 'Editors: the unit subtree they may change; null = whole region' }),
  unitName: Type.Union([Type.String(), Type.Null()]),
  mustChangePassword: Type.Boolean(),
  disabled: Type.Boolean(),
  version: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  passwordChangedAt: Type.String({ format: 'date-time' }),
  lastLoginAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
export type UserBody = Static<typeof User>;

export const Me = Type.Object({
  mode: Type.Union([Type.Literal('local'), Type.Literal('required')], { description: 'local = login-free (everyone is the local admin)' }),
  authenticated: Type.Boolean(),
  via: Type.Union([Type.Literal('local'), Type.Literal('session'), Type.Literal('token'), Type.Null()]),
  user: Type.Union([
    Type.Object({
      id: Type.Union([Type.Integer(), Type.Null()]),
      name: Type.String(),
      displayName: Type.String(),
      role: RoleSchema,
      unitCode: Type.Union([Type.String(), Type.Null()]),
      mustChangePassword: Type.Boolean(),
    }),
    Type.Null(),
  ]),
  csrfToken: Type.Union([Type.String(), Type.Null()], { description: 'Send as the x-csrf-token header with every state-changing request of this session' }),
  sessionExpiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

export const LoginBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100 }),
  password: PasswordField,
});

export const ChangePasswordBody = Type.Object({
  currentPassword: PasswordField,
  newPassword: PasswordField,
});

export const Ok = Type.Object({ ok: Type.Boolean(), message: Type.String(), messageZh: Type.String() });

export const Token = Type.Object({
  id: Type.Integer(),
  userId: Type.Integer(),
  userName: Type.String(),
  name: Type.String(),
  prefix: Type.String({ description: 'First characters of the token, to recognise it' }),
  createdAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  revokedBy: Type.Union([Type.String(), Type.Null()]),
  active: Type.Boolean(),
});

export const TokenList = Type.Object({ total: Type.Integer(), tokens: Type.Array(Token) });

export const NewTokenBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100, description: 'What the token is for, e.g. "nightly import"' }),
  expiresInDays: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 3650 }), Type.Null()], { description: 'null = never (default 365)' })),
});

export const NewToken = Type.Object({
  token: Type.String({ description: 'Shown once: store it now. Send as Authorization: Bearer <token>' }),
  record: Token,
});

export const IdParam = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 9_007_199_254_740_991 }) });

export const Paging = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000, default: 0 })),
};

export const ListUsersQuery = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 100, description: 'Part of the login or display name' })),
  role: Type.Optional(RoleSchema),
  disabled: Type.Optional(Type.Boolean()),
  ...Paging,
});

export const UserList = Type.Object({ total: Type.Integer(), users: Type.Array(User) });

export const CreateUserBody = Type.Object({
  name: LoginName,
  displayName: Type.String({ minLength: 1, maxLength: 100, description: '姓名 / display name' }),
  role: RoleSchema,
  unitCode: Type.Optional(Type.Union([ScopeUnitCode, Type.Null()])),
  password: Type.Optional(Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH, description: 'Omit to generate a one-time password (returned once)' })),
});

export const UserWithPassword = Type.Object({
  user: User,
  oneTimePassword: Type.Union([Type.String(), Type.Null()], { description: 'Generated password, shown once; the user must change it at first login' }),
});

export const UpdateUserBody = Type.Object({
  version: Type.Integer({ minimum: 1, description: 'The version you read (optimistic concurrency): a stale version gets 409' }),
  displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  role: Type.Optional(RoleSchema),
  unitCode: Type.Optional(Type.Union([ScopeUnitCode, Type.Null()])),
  disabled: Type.Optional(Type.Boolean()),
});

export const ResetPasswordBody = Type.Object({
  password: Type.Optional(Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH, description: 'Omit to generate a one-time password' })),
});

export const ListTokensQuery = Type.Object({
  userId: Type.Optional(Type.Integer({ minimum: 1 })),
  active: Type.Optional(Type.Boolean()),
  ...Paging,
});

export const AuditQuery = Type.Object({
  actor: Type.Optional(Type.String({ maxLength: 100, description: 'Login name (exact)' })),
  action: Type.Optional(Type.String({ maxLength: 100, description: "Exact action, or a prefix ending in '.' or '*' (e.g. facility. or user.*)" })),
  entityType: Type.Optional(Type.String({ maxLength: 100 })),
  entityId: Type.Optional(Type.String({ maxLength: 100 })),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'ISO 8601, inclusive' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'ISO 8601, exclusive' })),
  ...Paging,
});

export const AuditEntry = Type.Object({
  id: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  actor: Type.String(),
  action: Type.String(),
  entityType: Type.String(),
  entityId: Type.Union([Type.String(), Type.Null()]),
  before: Type.Unknown(),
  after: Type.Unknown(),
  details: Type.Unknown(),
});

export const AuditList = Type.Object({ total: Type.Integer(), entries: Type.Array(AuditEntry) });

export const ShareParams = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: 9_007_199_254_740_991 }),
  user: Type.String({ minLength: 2, maxLength: 63, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{1,62}$' }),
});

export const Share = Type.Object({
  scenarioId: Type.Integer(),
  userName: Type.String(),
  displayName: Type.String(),
  permission: Type.Union([Type.Literal('read'), Type.Literal('edit')]),
  grantedBy: Type.String(),
  grantedAt: Type.String({ format: 'date-time' }),
});

export const ShareList = Type.Object({ scenarioId: Type.Integer(), owner: Type.Union([Type.String(), Type.Null()]), shares: Type.Array(Share) });

export const ShareBody = Type.Object({
  permission: Type.Union([Type.Literal('read'), Type.Literal('edit')], { description: 'read = view and evaluate; edit = also change it' }),
});
