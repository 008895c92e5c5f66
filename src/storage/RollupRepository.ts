import * as SqlClient from "@effect/sql/SqlClient"
import { DateTime, Effect, Option, Schema } from "effect"
import { Channel } from "../domain/Event.js"
import type { CostIncrement, Counters, DailyRollup } from "../domain/Rollup.js"
import { CostTotal, makeCounters, rollupCounters } from "../domain/Rollup.js"
import type { RollupIncrement as DayIncrement } from "../domain/Projection.js"
import { hourOf } from "../domain/Projection.js"
import { decodeFirst, decodeRows } from "./Rows.js"

export interface RollupIncrement {
  readonly orgId: string
  readonly broadcastId: string | null
  readonly channel: Channel
  /** Counted on its UTC date and in its UTC hour. */
  readonly day: DateTime.Utc
  /** Without a broadcast's, this or `transactional`. */
  readonly category?: string
  readonly counters: Partial<Counters>
}

/** The counter columns, named as the domain names the counters. */
const CounterRow = Schema.Record({ key: Schema.Literal(...rollupCounters), value: Schema.Number })
const countersOf = (row: typeof CounterRow.Type): Counters => makeCounters((counter) => row[counter])
const decodeCounters = decodeFirst(CounterRow)
const decodeDays = decodeRows(Schema.Struct({ day: Schema.String, channel: Channel }, CounterRow))
const decodeStreams = decodeRows(Schema.Struct({ category: Schema.String }, CounterRow))
const decodeCosts = decodeRows(CostTotal)
const decodeBucketCosts = decodeRows(Schema.Struct({ ...CostTotal.fields, bucket: Schema.String }))

/** Pre-aggregated counters per broadcast and per org, day and channel, for reports that never scan deliveries. */
export class RollupRepository extends Effect.Service<RollupRepository>()("Sendtrail/RollupRepository", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const columns = sql.csv(rollupCounters.map((counter) => sql`${sql(counter)}`))
    const sumColumns = sql.csv(rollupCounters.map((counter) => sql`sum(${sql(counter)})::int8 AS ${sql(counter)}`))
    /** A row's stream: its broadcast's category, else the event's own, else transactional. */
    const streamOf = sql`coalesce(b.category, u.category, 'transactional')`
    const inStream = (category: string | undefined) => category === undefined ? sql`` : sql`AND category = ${category}`

    /**
     * Adds increments: one statement per rollup table, each row once, in key order so two writers
     * adding to the same rows wait for each other instead of deadlocking. Not idempotent by itself:
     * callers add a milestone's counts in the transaction that first records it.
     */
    const incrementMany = Effect.fn("RollupRepository.incrementMany")(function* (increments: ReadonlyArray<DayIncrement>) {
      if (increments.length === 0) return
      const rows = JSON.stringify(increments.map((i) => ({
        org_id: i.orgId, broadcast_id: i.broadcastId, channel: i.channel, day: i.day, hour: i.hour ?? null, category: i.category ?? null, ...i.counters
      })))
      const recordset = sql`json_to_recordset(${rows}::json) AS u(org_id text, broadcast_id text, channel text, day date, hour timestamptz, category text,
        ${sql.unsafe(rollupCounters.map((counter) => `${counter} bigint`).join(", "))})`
      const sums = sql.csv(rollupCounters.map((counter) => sql`coalesce(sum(u.${sql(counter)}), 0)`))
      const addTo = (table: string) =>
        sql.csv(rollupCounters.map((counter) => sql`${sql(counter)} = ${sql(table)}.${sql(counter)} + EXCLUDED.${sql(counter)}`))
      yield* sql`
        INSERT INTO rollup_daily (org_id, day, channel, category, ${columns})
        SELECT u.org_id, u.day, u.channel, ${streamOf}, ${sums}
        FROM ${recordset} LEFT JOIN broadcasts b ON b.id = u.broadcast_id AND b.org_id = u.org_id
        GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        ON CONFLICT (org_id, day, channel, category) DO UPDATE SET ${addTo("rollup_daily")}`
      if (increments.some((i) => i.hour !== undefined)) {
        yield* sql`
          INSERT INTO rollup_hourly (org_id, hour, channel, category, ${columns})
          SELECT u.org_id, u.hour, u.channel, ${streamOf}, ${sums}
          FROM ${recordset} LEFT JOIN broadcasts b ON b.id = u.broadcast_id AND b.org_id = u.org_id
          WHERE u.hour IS NOT NULL
          GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
          ON CONFLICT (org_id, hour, channel, category) DO UPDATE SET ${addTo("rollup_hourly")}`
      }
      if (increments.some((i) => i.broadcastId !== null)) {
        yield* sql`
          INSERT INTO rollup_broadcast (broadcast_id, org_id, ${columns})
          SELECT u.broadcast_id, min(u.org_id), ${sums} FROM ${recordset} WHERE u.broadcast_id IS NOT NULL GROUP BY 1 ORDER BY 1
          ON CONFLICT (broadcast_id) DO UPDATE SET ${addTo("rollup_broadcast")}`
      }
    }, Effect.orDie)

    /** One increment (tests and tools); see incrementMany. */
    const increment = (input: RollupIncrement) => incrementMany([{ ...input, day: DateTime.formatIsoDateUtc(input.day), hour: hourOf(input.day) }])

    const between = (from: DateTime.Utc, to: DateTime.Utc) =>
      sql`day BETWEEN ${DateTime.formatIsoDateUtc(from)}::date AND ${DateTime.formatIsoDateUtc(to)}::date`

    const forBroadcast = Effect.fn("RollupRepository.forBroadcast")(function* (broadcastId: string) {
      const row = yield* decodeCounters(yield* sql`SELECT ${columns} FROM rollup_broadcast WHERE broadcast_id = ${broadcastId}`)
      return Option.map(row, countersOf)
    }, Effect.orDie)

    /** Days from `from` to `to` (UTC dates, both included), oldest first; every stream, or one. */
    const daily = Effect.fn("RollupRepository.daily")(
      function* (orgId: string, from: DateTime.Utc, to: DateTime.Utc, channel?: Channel, category?: string) {
        const rows = yield* decodeDays(yield* sql`
          SELECT to_char(day, 'YYYY-MM-DD') AS day, channel, ${sumColumns} FROM rollup_daily
          WHERE org_id = ${orgId} AND ${between(from, to)}
            ${channel === undefined ? sql`` : sql`AND channel = ${channel}`} ${inStream(category)}
          GROUP BY 1, 2 ORDER BY day, channel`)
        return rows.map((row): DailyRollup => ({ day: row.day, channel: row.channel, counters: countersOf(row) }))
      },
      Effect.orDie
    )

    /** Per stream (category), from `from` to `to` (UTC dates, both included), by category. */
    const streams = Effect.fn("RollupRepository.streams")(
      function* (orgId: string, from: DateTime.Utc, to: DateTime.Utc, category?: string) {
        const rows = yield* decodeStreams(yield* sql`
          SELECT category, ${sumColumns} FROM rollup_daily
          WHERE org_id = ${orgId} AND ${between(from, to)} ${inStream(category)}
          GROUP BY 1 ORDER BY 1`)
        return rows.map((row) => ({ category: row.category, counters: countersOf(row) }))
      },
      Effect.orDie
    )

    /** Per stream (category), the hours from the one holding `since` on, by category: health's rolling window. */
    const recentStreams = Effect.fn("RollupRepository.recentStreams")(
      function* (orgId: string, since: DateTime.Utc, category?: string) {
        const rows = yield* decodeStreams(yield* sql`
          SELECT category, ${sumColumns} FROM rollup_hourly
          WHERE org_id = ${orgId} AND hour >= ${hourOf(since)}::timestamptz ${inStream(category)}
          GROUP BY 1 ORDER BY 1`)
        return rows.map((row) => ({ category: row.category, counters: countersOf(row) }))
      },
      Effect.orDie
    )

    /**
     * Adds deliveries' costs, each counted once by its caller: one statement per table, summed per key
     * in SQL (`numeric`, exact; a sum of JS numbers would not be), in key order as incrementMany.
     */
    const addCosts = Effect.fn("RollupRepository.addCosts")(function* (costs: ReadonlyArray<CostIncrement>) {
      if (costs.length === 0) return
      const recordset = sql`json_to_recordset(${JSON.stringify(costs)}::json)
        AS u("orgId" text, "broadcastId" text, channel text, day date, unit text, value numeric)`
      yield* sql`
        INSERT INTO rollup_cost_daily AS r (org_id, day, channel, category, unit, total, count)
        SELECT u."orgId", u.day, u.channel, coalesce(b.category, 'transactional'), u.unit, sum(u.value), count(*)
        FROM ${recordset} LEFT JOIN broadcasts b ON b.id = u."broadcastId" AND b.org_id = u."orgId"
        GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (org_id, day, channel, category, unit) DO UPDATE SET total = r.total + EXCLUDED.total, count = r.count + EXCLUDED.count`
      if (costs.some((c) => c.broadcastId !== null)) {
        yield* sql`
          INSERT INTO rollup_cost_broadcast AS r (broadcast_id, unit, org_id, total, count)
          SELECT u."broadcastId", u.unit, min(u."orgId"), sum(u.value), count(*) FROM ${recordset}
          WHERE u."broadcastId" IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2
          ON CONFLICT (broadcast_id, unit) DO UPDATE SET total = r.total + EXCLUDED.total, count = r.count + EXCLUDED.count`
      }
    }, Effect.orDie)

    /** A broadcast's costs over its whole life, per unit. */
    const costsForBroadcast = Effect.fn("RollupRepository.costsForBroadcast")(function* (broadcastId: string) {
      return yield* decodeCosts(yield* sql`
        SELECT unit, total::text AS total, count FROM rollup_cost_broadcast WHERE broadcast_id = ${broadcastId} AND count > 0 ORDER BY unit`)
    }, Effect.orDie)

    /**
     * Costs per unit from `from` to `to` (UTC dates, both included), summed per bucket in SQL (exact):
     * `bucket` is the first day of its day, ISO week (Monday) or calendar month, or `from` for the
     * whole range; oldest first.
     */
    const costs = Effect.fn("RollupRepository.costs")(
      function* (orgId: string, from: DateTime.Utc, to: DateTime.Utc, by: "day" | "week" | "month" | "range", channel?: Channel, category?: string) {
        const bucket = by === "range"
          ? sql`${DateTime.formatIsoDateUtc(from)}::text`
          : sql`to_char(date_trunc(${by}, day::timestamp), 'YYYY-MM-DD')`
        return yield* decodeBucketCosts(yield* sql`
          SELECT ${bucket} AS bucket, unit, sum(total)::text AS total, sum(count)::int8 AS count
          FROM rollup_cost_daily
          WHERE org_id = ${orgId} AND ${between(from, to)}
            ${channel === undefined ? sql`` : sql`AND channel = ${channel}`} ${inStream(category)}
          GROUP BY 1, 2 HAVING sum(count) > 0
          ORDER BY 1, 2`)
      },
      Effect.orDie
    )

    return { increment, incrementMany, forBroadcast, daily, streams, recentStreams, addCosts, costsForBroadcast, costs } as const
  })
}) {}
