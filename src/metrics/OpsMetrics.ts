import { Effect } from "effect"
import type { UnmatchedReason } from "../domain/OrgMatch.js"

/** Upper bounds (seconds) of HTTP request duration buckets. */
export const httpBuckets: ReadonlyArray<number> = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
/** Upper bounds (seconds) of the pipeline lag buckets: from received to applied. */
export const lagBuckets: ReadonlyArray<number> = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600]

/** A Prometheus histogram's state: counts per bucket (not cumulative), the sum and the count. */
export interface Histogram {
  readonly buckets: ReadonlyArray<number>
  readonly counts: Array<number>
  sum: number
  count: number
}

export const makeHistogram = (buckets: ReadonlyArray<number>): Histogram =>
  ({ buckets, counts: buckets.map(() => 0), sum: 0, count: 0 })

export const observe = (histogram: Histogram, value: number): void => {
  const index = histogram.buckets.findIndex((bound) => value <= bound)
  if (index >= 0) histogram.counts[index] = (histogram.counts[index] ?? 0) + 1
  histogram.sum += value
  histogram.count += 1
}

/**
 * The in-process counters /metrics renders besides what it reads from storage: events applied,
 * pipeline lag and HTTP latency. Plain mutable state, changed synchronously (one JS thread).
 */
export class OpsMetrics extends Effect.Service<OpsMetrics>()("Sendtrail/OpsMetrics", {
  sync: () => {
    let eventsIngested = 0
    const lag = makeHistogram(lagBuckets)
    /** `method route` → histogram; routes are path templates or a status class, so the set stays small. */
    const http = new Map<string, { readonly method: string; readonly route: string; readonly histogram: Histogram }>()
    /** `route cause` → 5xx answers: every one is a provider's retry, so each deserves a look. */
    const serverErrors = new Map<string, { readonly route: string; readonly cause: string; count: number }>()
    /** `provider reason` → events from org-less routes applied under the default org (domain/OrgMatch.ts). */
    const unmatched = new Map<string, { readonly provider: string; readonly reason: UnmatchedReason; count: number }>()
    return {
      /** Inbox rows applied by the pipeline, with the seconds each waited since it was received. */
      applied: (lagSeconds: ReadonlyArray<number>) =>
        Effect.sync(() => {
          eventsIngested += lagSeconds.length
          for (const seconds of lagSeconds) observe(lag, Math.max(0, seconds))
        }),
      /** Events from routes that name no org which stayed the default org's: no other org's delivery matched, or several did. */
      unmatched: (events: ReadonlyArray<{ readonly provider: string; readonly reason: UnmatchedReason }>) =>
        Effect.sync(() => {
          for (const { provider, reason } of events) {
            const key = `${provider} ${reason}`
            const entry = unmatched.get(key) ?? { provider, reason, count: 0 }
            entry.count++
            unmatched.set(key, entry)
          }
        }),
      httpRequest: (method: string, route: string, seconds: number) =>
        Effect.sync(() => {
          const key = `${method} ${route}`
          const entry = http.get(key) ?? { method, route, histogram: makeHistogram(httpBuckets) }
          http.set(key, entry)
          observe(entry.histogram, Math.max(0, seconds))
        }),
      serverError: (route: string, cause: string) =>
        Effect.sync(() => {
          const key = `${route} ${cause}`
          const entry = serverErrors.get(key) ?? { route, cause, count: 0 }
          entry.count++
          serverErrors.set(key, entry)
        }),
      snapshot: Effect.sync(() => ({
        serverErrors: [...serverErrors.values()].map((e) => ({ ...e })),
        unmatched: [...unmatched.values()].map((e) => ({ ...e })),
        eventsIngested,
        lag: { ...lag, counts: [...lag.counts] },
        http: [...http.values()].map((e) => ({ method: e.method, route: e.route, histogram: { ...e.histogram, counts: [...e.histogram.counts] } }))
      }))
    } as const
  }
}) {}

// --- Prometheus text exposition format 0.0.4 ---

export type Labels = ReadonlyArray<readonly [string, string]>

const escapeLabel = (value: string) => value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, "\\\"")

const formatNumber = (value: number) =>
  Number.isNaN(value) ? "NaN" : value === Infinity ? "+Inf" : value === -Infinity ? "-Inf" : String(value)

const labelText = (labels: Labels) =>
  labels.length === 0 ? "" : `{${labels.map(([name, value]) => `${name}="${escapeLabel(value)}"`).join(",")}}`

export const sample = (name: string, labels: Labels, value: number) => `${name}${labelText(labels)} ${formatNumber(value)}`

export const header = (name: string, type: "counter" | "gauge" | "histogram", help: string) =>
  [`# HELP ${name} ${help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`, `# TYPE ${name} ${type}`]

/** A histogram's `_bucket` (cumulative, ending with +Inf), `_sum` and `_count` lines. */
export const histogramLines = (name: string, labels: Labels, histogram: Histogram): Array<string> => {
  const lines: Array<string> = []
  let cumulative = 0
  histogram.buckets.forEach((bound, i) => {
    cumulative += histogram.counts[i] ?? 0
    lines.push(sample(`${name}_bucket`, [...labels, ["le", formatNumber(bound)]], cumulative))
  })
  lines.push(sample(`${name}_bucket`, [...labels, ["le", "+Inf"]], histogram.count))
  lines.push(sample(`${name}_sum`, labels, histogram.sum))
  lines.push(sample(`${name}_count`, labels, histogram.count))
  return lines
}
