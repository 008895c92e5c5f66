import * as SqlClient from "@effect/sql/SqlClient"
import { Data, DateTime, Effect, Option, Schema } from "effect"
import type { Channel } from "../domain/Event.js"
import type { CostTotal } from "../domain/Rollup.js"
import { emptyCounters } from "../domain/Rollup.js"
import { BroadcastRepository } from "../storage/BroadcastRepository.js"
import { RollupRepository } from "../storage/RollupRepository.js"
import { column, Timestamp } from "../storage/RowSchemas.js"
import { decodeRows } from "../storage/Rows.js"
import { SenderAccountRepository } from "../storage/SenderAccountRepository.js"
import { healthAlerts, healthThresholds } from "./Health.js"
import type { Granularity } from "./Stats.js"
import {
  addDays, averageDeliveryMs, bucketCount, bucketize, bucketStart, changes, isIsoDate, rates, statCounters, sumCounters
} from "./Stats.js"

export class InvalidStatsQuery extends Data.TaggedError("InvalidStatsQuery")<{ readonly message: string }> {}
export class StatsBroadcastNotFound extends Data.TaggedError("StatsBroadcastNotFound")<{ readonly message: string }> {}

export interface StatsQuery {
  readonly aggregatedBy?: Granularity | undefined
  readonly startDate?: string | undefined
  readonly endDate?: string | undefined
  readonly channel?: Channel | undefined
  readonly category?: string | undefined
  readonly broadcastId?: string | undefined
}

export const defaultDays = 30
export const maxBuckets = 1100

const decodeDisabledEndpoints = decodeRows(Schema.Struct({
  id: Schema.String, disabledAt: column("disabled_at", Timestamp), disabledReason: column("disabled_reason", Schema.NullOr(Schema.String))
}))

const statusOf = (alerts: ReadonlyArray<{ readonly severity: "warning" | "critical" }>) =>
  alerts.some((a) => a.severity === "critical") ? "critical" as const : alerts.length > 0 ? "warning" as const : "ok" as const

const today = Effect.map(DateTime.now, DateTime.formatIsoDateUtc)
const utc = (date: string) => DateTime.unsafeMake(`${date}T00:00:00Z`)

/** Cost totals by the first day of their bucket, each bucket's units in order. */
const costsByBucket = (rows: ReadonlyArray<CostTotal & { readonly bucket: string }>) => {
  const buckets = new Map<string, Array<CostTotal>>()
  for (const { bucket, ...total } of rows) buckets.set(bucket, [...(buckets.get(bucket) ?? []), total])
  return buckets
}

/**
 * Stats, the 30-day summary and deliverability health, read from the rollups only (never events).
 * Read models over repositories the composition root provides; no in-memory twin is needed for them.
 */
export class Insights extends Effect.Service<Insights>()("Sendtrail/Insights", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rollups = yield* RollupRepository
    const broadcasts = yield* BroadcastRepository
    const senders = yield* SenderAccountRepository

    const countersBetween = (orgId: string, from: string, to: string, category?: string) =>
      Effect.map(rollups.daily(orgId, utc(from), utc(to), undefined, category), (rows) => sumCounters(rows.map((row) => row.counters)))
    const costsBetween = (orgId: string, from: string, to: string, category?: string) =>
      Effect.map(rollups.costs(orgId, utc(from), utc(to), "range", undefined, category), (rows) => rows.map(({ bucket: _, ...total }) => total))
    /** Each stream's counters and rates over the days, by category: every stream, or the one asked for. */
    const streamsBetween = (orgId: string, from: string, to: string, category?: string) =>
      Effect.map(rollups.streams(orgId, utc(from), utc(to), category), (rows) =>
        rows.map((row) => ({ category: row.category, counters: statCounters(row.counters), rates: rates(row.counters) })))

    const stats = Effect.fn("Insights.stats")(function* (orgId: string, query: StatsQuery) {
      const by = query.aggregatedBy ?? "day"
      for (const [name, value] of [["startDate", query.startDate], ["endDate", query.endDate]] as const) {
        if (value !== undefined && !isIsoDate(value)) return yield* new InvalidStatsQuery({ message: `${name}: expected a UTC date YYYY-MM-DD, got '${value}'` })
      }
      const endDate = query.endDate ?? (query.startDate === undefined ? yield* today : addDays(query.startDate, defaultDays - 1))
      const startDate = query.startDate ?? addDays(endDate, -(defaultDays - 1))
      if (startDate > endDate) return yield* new InvalidStatsQuery({ message: `startDate: ${startDate} is after endDate ${endDate}` })
      if (query.broadcastId !== undefined) {
        if (query.channel !== undefined) {
          return yield* new InvalidStatsQuery({ message: "channel: cannot be combined with broadcastId, a broadcast's rollup has no channel dimension" })
        }
        if (query.category !== undefined) {
          return yield* new InvalidStatsQuery({ message: "category: cannot be combined with broadcastId, a broadcast is of one category" })
        }
        const broadcastId = query.broadcastId
        const owned = yield* broadcasts.findById(broadcastId)
        if (Option.isNone(owned) || owned.value.orgId !== orgId) return yield* new StatsBroadcastNotFound({ message: `no broadcast '${broadcastId}'` })
        const counters = Option.getOrElse(yield* rollups.forBroadcast(broadcastId), () => emptyCounters)
        const costs = yield* rollups.costsForBroadcast(broadcastId)
        return {
          aggregatedBy: by, startDate, endDate, channel: null, category: null, broadcastId,
          note: "a broadcast's rollup has no time dimension: one bucket covers the range, with the broadcast's counts over its whole life",
          buckets: [{ start: startDate, end: endDate, counters: statCounters(counters), rates: rates(counters), costs }]
        }
      }
      if (bucketCount(startDate, endDate, by) > maxBuckets) {
        return yield* new InvalidStatsQuery({ message: `aggregatedBy: more than ${maxBuckets} buckets from ${startDate} to ${endDate}; use a coarser one or a shorter range` })
      }
      const [rows, costRows] = yield* Effect.all([
        rollups.daily(orgId, utc(startDate), utc(endDate), query.channel, query.category),
        rollups.costs(orgId, utc(startDate), utc(endDate), by, query.channel, query.category)
      ], { concurrency: 2 })
      const costs = costsByBucket(costRows)
      return {
        aggregatedBy: by, startDate, endDate, channel: query.channel ?? null, category: query.category ?? null, broadcastId: null, note: null,
        buckets: bucketize(rows, startDate, endDate, by).map((b) => ({
          start: b.start, end: b.end, counters: statCounters(b.counters), rates: rates(b.counters), costs: costs.get(bucketStart(b.start, by)) ?? []
        }))
      }
    })

    const summary = Effect.fn("Insights.summary")(function* (orgId: string, category?: string) {
      const endDate = yield* today
      const startDate = addDays(endDate, -(defaultDays - 1))
      const previousEnd = addDays(startDate, -1)
      const previousStart = addDays(previousEnd, -(defaultDays - 1))
      const [current, previous, currentCosts, previousCosts, streams] = yield* Effect.all([
        countersBetween(orgId, startDate, endDate, category),
        countersBetween(orgId, previousStart, previousEnd, category),
        costsBetween(orgId, startDate, endDate, category),
        costsBetween(orgId, previousStart, previousEnd, category),
        streamsBetween(orgId, startDate, endDate, category)
      ], { concurrency: 2 })
      const view = (c: typeof current, costs: ReadonlyArray<CostTotal>) =>
        ({ counters: statCounters(c), rates: rates(c), averageDeliveryMs: averageDeliveryMs(c), costs })
      return {
        startDate, endDate, category: category ?? null, ...view(current, currentCosts),
        previous: { startDate: previousStart, endDate: previousEnd, ...view(previous, previousCosts) },
        change: changes(statCounters(current), statCounters(previous)),
        streams
      }
    })

    /** The current UTC hour and the 23 before it, from the hourly rollups: a true rolling 24 h. */
    const health = Effect.fn("Insights.health")(function* (orgId: string, category?: string) {
      const now = yield* DateTime.now
      const since = DateTime.subtract(DateTime.startOf(now, "hour"), { hours: 23 })
      const [perStream, accounts, endpoints] = yield* Effect.all([
        rollups.recentStreams(orgId, since, category),
        senders.list(orgId),
        // Notification endpoints the dispatcher gave up on (migration 0015): the org's to fix, whatever the stream.
        sql`SELECT id, disabled_at, disabled_reason FROM notification_endpoints WHERE org_id = ${orgId} AND disabled_by_failure ORDER BY disabled_at, id`.pipe(
          Effect.flatMap(decodeDisabledEndpoints), Effect.orDie)
      ], { concurrency: 2 })
      const counters = sumCounters(perStream.map((stream) => stream.counters))
      const recent = rates(counters)
      const alerts = healthAlerts({ sent: counters.sent, ...recent }, accounts, endpoints)
      // Each stream watched on its own: marketing complaints are not diluted by transactional volume.
      const streams = perStream.map((stream) => {
        const streamRates = rates(stream.counters)
        const streamAlerts = healthAlerts({ sent: stream.counters.sent, ...streamRates }, []).map((alert) => ({
          ...alert, message: `${stream.category}: ${alert.message}`
        }))
        return { category: stream.category, status: statusOf(streamAlerts), sent: stream.counters.sent, rates: streamRates, alerts: streamAlerts }
      })
      return {
        startDate: DateTime.formatIsoDateUtc(since), endDate: DateTime.formatIsoDateUtc(now), from: DateTime.formatIso(since), category: category ?? null,
        note: "the last 24 h: the current UTC hour and the 23 before it, from hourly rollups; sender bounce rates are over each account's lifetime counts",
        status: statusOf([...alerts, ...streams.flatMap((stream) => stream.alerts)]),
        sent: counters.sent,
        rates: recent,
        thresholds: healthThresholds,
        alerts,
        streams
      }
    })

    return { stats, summary, health } as const
  })
}) {}
