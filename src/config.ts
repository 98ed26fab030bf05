// Environment → typed configuration, validated once at boot so a typo in a
// variable stops the start with a message instead of surfacing as odd behaviour.
import path from 'node:path'
import { z } from 'zod'

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => ['true', '1', 'yes'].includes(v))
const int = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def)

const schema = z.object({
  PORT: int(3000, 0, 65535),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must start with postgres://').optional(),
  DATABASE_REPLICA_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must start with postgres://').optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TIME_ZONE: z.string().default('Asia/Shanghai').refine((tz) => {
    try { new Intl.DateTimeFormat('en', { timeZone: tz }); return true } catch { return false }
  }, 'is not a known IANA time zone'),
  SESSION_IDLE_MINUTES: int(30, 1, 24 * 60),
  SESSION_ABSOLUTE_HOURS: int(12, 1, 24 * 30),
  COOKIE_SECURE: z.enum(['auto', 'true', 'false']).default('auto'),
  TRUST_PROXY: bool.default(false),
  LOGIN_RATE_PER_MINUTE: int(20, 1, 10000),
  LOCKOUT_THRESHOLD: int(5, 1, 100),
  LOCKOUT_MINUTES: int(15, 1, 24 * 60),
  ARGON2_MEMORY_KIB: int(19456, 8192, 1048576),
  ARGON2_TIME_COST: int(2, 1, 20),
  PASSWORD_MIN_LENGTH: int(8, 6, 128),
  DB_POOL_SIZE: int(10, 1, 200),
  STATEMENT_TIMEOUT_MS: int(5000, 100, 600000)
})

export type Config = {
  port: number
  host: string
  databaseUrl?: string
  replicaUrl?: string
  dataDir: string
  logLevel: string
  timeZone: string
  sessionIdleMs: number
  sessionAbsoluteMs: number
  cookieSecure: 'auto' | boolean
  trustProxy: boolean
  loginRatePerMinute: number
  lockoutThreshold: number
  lockoutMs: number
  argon2: { memoryCost: number; timeCost: number }
  passwordMinLength: number
  poolSize: number
  statementTimeoutMs: number
  /** in-memory PGlite (tests); never set from the environment */
  memoryDb?: boolean
  /** a PGlite dump to start from (tests use a migrated template to skip initdb) */
  pgliteLoadFrom?: Blob
}

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, string> = {}
  for (const key of Object.keys(schema.shape)) {
    const v = env[key]
    if (v !== undefined && v !== '') raw[key] = v
  }
  const parsed = schema.safeParse(raw)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`)
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`)
  }
  const c = parsed.data
  return {
    port: c.PORT,
    host: c.HOST,
    databaseUrl: c.DATABASE_URL,
    replicaUrl: c.DATABASE_REPLICA_URL,
    dataDir: path.resolve(c.DATA_DIR),
    logLevel: c.LOG_LEVEL,
    timeZone: c.TIME_ZONE,
    sessionIdleMs: c.SESSION_IDLE_MINUTES * 60_000,
    sessionAbsoluteMs: c.SESSION_ABSOLUTE_HOURS * 3_600_000,
    cookieSecure: c.COOKIE_SECURE === 'auto' ? 'auto' : c.COOKIE_SECURE === 'true',
    trustProxy: c.TRUST_PROXY,
    loginRatePerMinute: c.LOGIN_RATE_PER_MINUTE,
    lockoutThreshold: c.LOCKOUT_THRESHOLD,
    lockoutMs: c.LOCKOUT_MINUTES * 60_000,
    argon2: { memoryCost: c.ARGON2_MEMORY_KIB, timeCost: c.ARGON2_TIME_COST },
    passwordMinLength: c.PASSWORD_MIN_LENGTH,
    poolSize: c.DB_POOL_SIZE,
    statementTimeoutMs: c.STATEMENT_TIMEOUT_MS
  }
}
