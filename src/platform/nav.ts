// Navigation entries that modules register; the shell shows only what the user may use.
import type { Principal } from './principal.ts'

export interface NavItem { key: string; labelKey: string; href: string; perm?: string | string[]; order: number; group?: 'main' | 'admin' }

const items: NavItem[] = []

export function registerNav(item: NavItem) {
  if (!items.some((i) => i.key === item.key)) items.push(item)
  items.sort((a, b) => a.order - b.order)
}

export function navFor(user: Principal): NavItem[] {
  return items.filter((i) => !i.perm || (Array.isArray(i.perm) ? i.perm.some((p) => user.perms.has(p)) : user.perms.has(i.perm)))
}
