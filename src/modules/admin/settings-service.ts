// Office-wide settings edited on /admin/settings. Only the keys listed here are shown
// or written: the settings table also holds internal rows (the server secret, the
// first-run mark) that no page may reveal or change. A setting that belongs to
// another module is written through that module's own function, so its cache and
// its audit row stay the way that module expects.
import type { DB } from '../../db/index.ts'
import type { Actor } from '../../platform/audit.ts'
import { setTotpRequiredForAdmins } from '../auth/totp.ts'

export interface SettingDef {
  key: string
  type: 'boolean'
  default: boolean
  /** writes the value and its one audit row */
  save(db: DB, actor: Actor, value: boolean): Promise<void>
}

export const SETTINGS: SettingDef[] = [
  // read at sign-in by the second factor (modules/auth/totp.ts)
  { key: 'totp_required_for_admins', type: 'boolean', default: false, save: setTotpRequiredForAdmins }
]

export type SettingValues = Record<string, boolean>

/** Current values, straight from the table (no cache: this page must show the truth). */
export async function getSettings(db: DB): Promise<SettingValues> {
  const rows = await db.selectFrom('settings').select(['key', 'value']).where('key', 'in', SETTINGS.map((s) => s.key)).execute()
  const stored = new Map(rows.map((r) => [r.key, r.value]))
  return Object.fromEntries(SETTINGS.map((s) => [s.key, stored.has(s.key) ? stored.get(s.key) === true || stored.get(s.key) === 'true' : s.default]))
}

/** Saves what changed (one audit row per changed setting); returns how many changed. */
export async function saveSettings(db: DB, actor: Actor, input: SettingValues): Promise<number> {
  const current = await getSettings(db)
  let changed = 0
  for (const def of SETTINGS) {
    const value = input[def.key]
    if (value === undefined || value === current[def.key]) continue
    await def.save(db, actor, value)
    changed++
  }
  return changed
}
