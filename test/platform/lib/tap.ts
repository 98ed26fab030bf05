// The type of a tap subtest `t`, for helpers that take one.
import type { Test } from 'tap'
import type { BuiltPlugins } from '@tapjs/test'

export type TT = Test & BuiltPlugins
