// The signed-in user as every route sees him: identity, permissions and data scope.
import type { Lang } from './i18n.ts'

export type ScopeKind = 'own' | 'subtree' | 'all'

export interface Principal {
  id: number
  login: string
  name: string
  lang: Lang
  departmentId: number
  departmentName: string
  deptPath: string
  roleId: number
  roleCode: string
  roleName: { zh: string; en: string }
  scope: ScopeKind
  perms: Set<string>
  mustChangePassword: boolean
  totpEnabled: boolean
}
