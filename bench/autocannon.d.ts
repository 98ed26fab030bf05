// The part of autocannon's API the load driver uses (autocannon ships no types).
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events'

  namespace autocannon {
    interface RequestParams { method?: string; path?: string; headers?: Record<string, string>; body?: string }
    interface Options {
      url: string
      connections?: number
      duration?: number
      /** requests per second from all connections together (paced, open loop) */
      overallRate?: number
      timeout?: number
      headers?: Record<string, string>
      requests?: Array<{ setupRequest?: (req: RequestParams) => RequestParams }>
    }
    interface Stats { average: number; mean: number; total: number; max: number; p50: number; p99: number }
    interface Result {
      requests: Stats
      latency: Stats
      throughput: Stats
      errors: number
      timeouts: number
      non2xx: number
    }
    interface Instance extends EventEmitter {
      on(event: 'response', fn: (client: unknown, statusCode: number, resBytes: number, responseTime: number) => void): this
    }
  }
  function autocannon(opts: autocannon.Options, cb: (err: Error | null, res: autocannon.Result) => void): autocannon.Instance
  export default autocannon
}
