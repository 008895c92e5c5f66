import * as SqlClient from "@effect/sql/SqlClient"
import { DateTime, Effect, Option, Schema } from "effect"
import { Channel } from "../domain/Event.js"
import type { Counters, DailyRollup } from "../domain/Rollup.js"
import { makeCounters, rollupCounters } from "../domain/Rollup.js"
import type { RollupIncrement as DayIncrement } from "../domain/Projection.js"
import { decodeFirst, decodeRows } from "./Rows.js"

export interface RollupIncrement {
  readonly orgId: string
  readonly broadcastId: string | null
  readonly channel: Channel
  /** Counted on its UTC date. */
  readonly day: DateTime.Utc
  readonly counters: Partial<Counters>
}

/** The counter columns, named as the domain names the counters. */
const CounterRow = Schema.Record({ key: Schema.Literal(...rollupCounters), value: Schema.Number })
const countersOf = (row: typeof CounterRow.Type): Counters => makeCounters((counter) => row[counter])
const decodeCounters = decodeFirst(CounterRow)
const decodeDays = decodeRows(Schema.Struct({ day: Schema.String, channel: Channel }, CounterRow))

/** Pre-aggregated counters per broadcast and per org, day and channel, for reports that never scan deliveries. */
export class RollupRepository extends Effect.Service<RollupRepository>()("Sendtrail/RollupRepository", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const columns = sql.csv(rollupCounters.map((counter) => sql`${sql(counter)}`))

    /**
     * Adds increments: one statement per rollup table, each row once, in key order so two writers
     * adding to the same rows wait for each other instead of deadlocking. Not idempotent by itself:
     * callers add a milestone's counts in the transaction that first records it.
     */
    const incrementMany = Effect.fn("RollupRepository.incrementMany")(function* (increments: ReadonlyArray<DayIncrement>) {
      if (increments.length === 0) return
      const rows = JSON.stringify(increments.map((i) => ({ org_id: i.orgId, broadcast_id: i.broadcastId, channel: i.channel, day: i.day, ...i.counters })))
      const recordset = sql`json_to_recordset(${rows}::json) AS u(org_id text, broadcast_id text, channel text, day date,
        ${sql.unsafe(rollupCounters.map((counter) => `${counter} bigint`).join(", "))})`
      const sums = sql.csv(rollupCounters.map((counter) => sql`coalesce(sum(u.${sql(counter)}), 0)`))
      const addTo = (table: string) =>
        sql.csv(rollupCounters.map((counter) => sql`${sql(counter)} = ${sql(table)}.${sql(counter)} + EXCLUDED.${sql(counter)}`))
      yield* sql`
        INSERT INTO rollup_daily (org_id, day, channel, ${columns})
        SELECT u.org_id, u.day, u.channel, ${sums} FROM ${recordset} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (org_id, day, channel) DO UPDATE SET ${addTo("rollup_daily")}`
      if (increments.some((i) => i.broadcastId !== null)) {
        yield* sql`
          INSERT INTO rollup_broadcast (broadcast_id, org_id, ${columns})
          SELECT u.broadcast_id, min(u.org_id), ${sums} FROM ${recordset} WHERE u.broadcast_id IS NOT NULL GROUP BY 1 ORDER BY 1
          ON CONFLICT (broadcast_id) DO UPDATE SET ${addTo("rollup_broadcast")}`
      }
    }, Effect.orDie)

    /** One increment (tests and tools); see incrementMany. */
    const increment = (input: RollupIncrement) => incrementMany([{ ...input, day: DateTime.formatIsoDateUtc(input.day) }])

    const forBroadcast = Effect.fn("RollupRepository.forBroadcast")(function* (broadcastId: string) {
      const row = yield* decodeCounters(yield* sql`SELECT ${columns} FROM rollup_broadcast WHERE broadcast_id = ${broadcastId}`)
      return Option.map(row, countersOf)
    }, Effect.orDie)

    /** Days from `from` to `to` (UTC dates, both included), oldest first. */
    const daily = Effect.fn("RollupRepository.daily")(
      function* (orgId: string, from: DateTime.Utc, to: DateTime.Utc, channel?: Channel) {
        const rows = yield* decodeDays(yield* sql`
          SELECT to_char(day, 'YYYY-MM-DD') AS day, channel, ${columns} FROM rollup_daily
          WHERE org_id = ${orgId} AND day BETWEEN ${DateTime.formatIsoDateUtc(from)}::date AND ${DateTime.formatIsoDateUtc(to)}::date
            ${channel === undefined ? sql`` : sql`AND channel = ${channel}`}
          ORDER BY day, channel`)
        return rows.map((row): DailyRollup => ({ day: row.day, channel: row.channel, counters: countersOf(row) }))
      },
      Effect.orDie
    )

    return { increment, incrementMany, forBroadcast, daily } as const
  })
}) {}
