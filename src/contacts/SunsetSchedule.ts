import * as SqlClient from "@effect/sql/SqlClient"
import { DateTime, Duration, Effect, Option, Schema } from "effect"
import { column, SunsetScheduleRow } from "../storage/RowSchemas.js"
import { decodeFirst, decodeRows, toDate } from "../storage/Rows.js"
import type { SunsetRequest } from "./Sunset.js"
import { cutoffOf, Sunset } from "./Sunset.js"

/** How often due schedules are looked for: a schedule runs within this of its day being up. */
const checkEvery = Duration.minutes(10)

export interface StandingSunset {
  readonly channel: SunsetRequest["channel"]
  readonly category: string
  /** ISO 8601 duration, e.g. P12M. */
  readonly unengagedFor: string
}

const decodeSchedules = decodeRows(SunsetScheduleRow)
const decodeSchedule = decodeFirst(SunsetScheduleRow)
const decodeDue = decodeRows(Schema.Struct({ ...SunsetScheduleRow.pick("channel", "category", "unengagedFor").fields, orgId: column("org_id", Schema.String) }))

/**
 * Sunsets an org runs every day: one standing policy per channel and stream. A background fiber
 * claims the schedules whose day is up (moving `last_run_at` forward in the claiming statement, so no
 * two instances run one) and runs each as `POST /suppressions/sunset` would, as actor `schedule`.
 */
export class SunsetSchedule extends Effect.Service<SunsetSchedule>()("Sendtrail/SunsetSchedule", {
  scoped: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const sunset = yield* Sunset

    const set = Effect.fn("SunsetSchedule.set")(function* (orgId: string, actor: string, schedule: StandingSunset) {
      yield* sunset.check({ channel: schedule.channel, category: schedule.category, cutoff: yield* DateTime.now })
      return yield* sql`
        INSERT INTO sunset_schedules (org_id, channel, category, unengaged_for, created_by)
        VALUES (${orgId}, ${schedule.channel}, ${schedule.category}, ${schedule.unengagedFor}, ${actor})
        ON CONFLICT (org_id, channel, category) DO UPDATE SET unengaged_for = EXCLUDED.unengaged_for, created_by = EXCLUDED.created_by
        RETURNING *`.pipe(Effect.flatMap(decodeSchedule), Effect.map(Option.getOrThrow), Effect.orDie)
    })

    const list = Effect.fn("SunsetSchedule.list")(function* (orgId: string) {
      return yield* decodeSchedules(yield* sql`SELECT * FROM sunset_schedules WHERE org_id = ${orgId} ORDER BY channel, category`)
    }, Effect.orDie)

    const remove = Effect.fn("SunsetSchedule.remove")(function* (orgId: string, channel: string, category: string) {
      return (yield* sql`DELETE FROM sunset_schedules WHERE org_id = ${orgId} AND channel = ${channel} AND category = ${category} RETURNING 1`).length > 0
    }, Effect.orDie)

    /** Runs every schedule whose last run is a day old (or that never ran); the number run. */
    const runDue = Effect.fn("SunsetSchedule.runDue")(function* () {
      const now = yield* DateTime.now
      const due = yield* decodeDue(yield* sql`
        UPDATE sunset_schedules SET last_run_at = ${toDate(now)}
        WHERE last_run_at IS NULL OR last_run_at <= ${toDate(now)}::timestamptz - interval '1 day'
        RETURNING org_id, channel, category, unengaged_for`)
      for (const schedule of due) {
        const request = { channel: schedule.channel, category: schedule.category, cutoff: cutoffOf(now, schedule.unengagedFor) }
        yield* sunset.run(schedule.orgId, "schedule", request).pipe(
          Effect.flatMap(({ batchId, suppressed }) => sql`
            UPDATE sunset_schedules SET last_batch_id = ${batchId}, last_suppressed = ${suppressed}
            WHERE org_id = ${schedule.orgId} AND channel = ${schedule.channel} AND category = ${schedule.category}`),
          // One org's failure (a category made protected since) must not stop the others' runs.
          Effect.catchAllCause((cause) => Effect.logWarning(`scheduled sunset of ${schedule.orgId} ${schedule.channel}/${schedule.category} failed`, cause))
        )
      }
      return due.length
    }, Effect.orDie)

    yield* Effect.forkScoped(Effect.forever(Effect.zipRight(
      Effect.catchAllCause(runDue(), (cause) => Effect.logError("scheduled sunsets failed", cause)),
      Effect.sleep(checkEvery))))
    return { set, list, remove, runDue } as const
  })
}) {}
