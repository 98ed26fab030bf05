// The permission catalogue: `module.action`. Modules register theirs at import time so
// the role editor's grid and the route checks read one list.
export const ACTIONS = ['read', 'create', 'update', 'delete', 'review', 'export', 'print', 'assign', 'admin'] as const
export type Action = (typeof ACTIONS)[number]

export interface ModulePermissions { module: string; labelKey: string; actions: readonly Action[] }

const catalogue: ModulePermissions[] = [
  { module: 'users', labelKey: 'perm.users', actions: ['admin'] },
  { module: 'departments', labelKey: 'perm.departments', actions: ['admin'] },
  { module: 'roles', labelKey: 'perm.roles', actions: ['admin'] },
  { module: 'codes', labelKey: 'perm.codes', actions: ['admin'] },
  { module: 'settings', labelKey: 'perm.settings', actions: ['admin'] },
  { module: 'audit', labelKey: 'perm.audit', actions: ['read'] }
]

export function registerPermissions(p: ModulePermissions) {
  if (!catalogue.some((c) => c.module === p.module)) catalogue.push(p)
}

export function permissionCatalogue(): readonly ModulePermissions[] { return catalogue }

export function allPermissions(): string[] {
  return catalogue.flatMap((m) => m.actions.map((a) => `${m.module}.${a}`))
}

export function isPermission(p: string): boolean {
  const [m, a] = p.split('.')
  return catalogue.some((c) => c.module === m && (c.actions as readonly string[]).includes(a))
}

/** role permissions + per-user grants − per-user revokes; the admin role holds all. */
export function effectivePermissions(roleCode: string, rolePerms: string[], grants: string[], revokes: string[]): Set<string> {
  const base = roleCode === 'admin' ? allPermissions() : rolePerms
  const set = new Set([...base, ...grants])
  for (const r of revokes) set.delete(r)
  return set
}
