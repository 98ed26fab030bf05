// Administration (系统管理): departments, users, roles, code lists, the audit log and
// settings. Each area has its own routes file; every route checks its permission,
// and the navigation shows an entry only to those who hold it.
import type { FastifyPluginAsync } from 'fastify'
import { registerNav } from '../../platform/nav.ts'
import audit from './audit-routes.ts'
import codes from './codes-routes.ts'
import departments from './departments-routes.ts'
import roles from './roles-routes.ts'
import settings from './settings-routes.ts'
import users from './users-routes.ts'

registerNav({ key: 'admin.users', labelKey: 'admin.nav.users', href: '/admin/users', perm: 'users.admin', order: 900, group: 'admin' })
registerNav({ key: 'admin.departments', labelKey: 'admin.nav.departments', href: '/admin/departments', perm: 'departments.admin', order: 910, group: 'admin' })
registerNav({ key: 'admin.roles', labelKey: 'admin.nav.roles', href: '/admin/roles', perm: 'roles.admin', order: 920, group: 'admin' })
registerNav({ key: 'admin.codes', labelKey: 'admin.nav.codes', href: '/admin/codes', perm: 'codes.admin', order: 930, group: 'admin' })
registerNav({ key: 'admin.audit', labelKey: 'admin.nav.audit', href: '/admin/audit', perm: 'audit.read', order: 940, group: 'admin' })
registerNav({ key: 'admin.settings', labelKey: 'admin.nav.settings', href: '/admin/settings', perm: 'settings.admin', order: 950, group: 'admin' })

const routes: FastifyPluginAsync = async (app) => {
  for (const area of [users, departments, roles, codes, audit, settings]) await app.register(area)
}

export default routes
