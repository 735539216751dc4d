/**
 * Roles, in increasing order of power. Each role can do everything the roles
 * below it can (the policy table in policy.ts names a minimum role per route).
 */
export const ROLES = ['viewer', 'planner', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, { zh: string; en: string; can: string }> = {
  viewer: { zh: '查看者', en: 'viewer', can: 'read maps, rules, evaluations and reports' },
  planner: { zh: '规划人员', en: 'planner', can: 'own scenarios and rule-set copies' },
  editor: { zh: '编辑人员', en: 'editor', can: 'edit the facility registry and import data (optionally in one unit subtree)' },
  admin: { zh: '管理员', en: 'admin', can: 'users, roles, the default rule set, the audit log' },
};

export function roleRank(role: Role): number {
  return ROLES.indexOf(role);
}

export function roleAtLeast(role: Role, minimum: Role): boolean {
  return roleRank(role) >= roleRank(minimum);
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
