import * as SqlClient from "@effect/sql/SqlClient"
import { DateTime, Effect, Option, Schema } from "effect"
import { Insights } from "../reports/Insights.js"
import { column } from "../storage/RowSchemas.js"
import { decodeFirst, decodeRows } from "../storage/Rows.js"
import * as Outbox from "./Outbox.js"

const decodeOrgs = decodeRows(Schema.Struct({ orgId: column("org_id", Schema.String) }))
const decodeChange = decodeFirst(Schema.Struct({ previous: Schema.NullOr(Schema.String) }))

/**
 * Health is computed when read (reports/Insights.ts); this compares it, for each org with an endpoint
 * that wants health notifications, with the status last seen (notification_health_state) and writes
 * health.critical when it turns critical and health.recovered when it stops being so, in the
 * transaction that records the new status: with several instances, one of them notifies.
 */
export class HealthWatch extends Effect.Service<HealthWatch>()("Sendtrail/NotificationHealthWatch", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const insights = yield* Insights

    const checkOrg = (orgId: string) =>
      Effect.gen(function* () {
        const health = yield* insights.health(orgId)
        const change = yield* decodeChange(yield* sql`
          WITH prev AS (SELECT status FROM notification_health_state WHERE org_id = ${orgId})
          INSERT INTO notification_health_state AS h (org_id, status, changed_at) VALUES (${orgId}, ${health.status}, now())
          ON CONFLICT (org_id) DO UPDATE SET status = EXCLUDED.status, changed_at = EXCLUDED.changed_at WHERE h.status <> EXCLUDED.status
          RETURNING (SELECT status FROM prev) AS previous`)
        if (Option.isNone(change)) return
        const previous = change.value.previous
        const type = health.status === "critical" ? "health.critical" as const : previous === "critical" ? "health.recovered" as const : undefined
        if (type === undefined) return
        const at = DateTime.formatIso(yield* DateTime.now)
        const alerts = [...health.alerts, ...health.streams.flatMap((stream) => stream.alerts)]
        yield* Outbox.enqueueAll(sql, [{
          orgId, type, sourceKey: `${type}:${at}`, occurredAt: at, scope: "org", channel: null, broadcastId: null, category: null,
          data: { status: health.status, previousStatus: previous, sent: health.sent, rates: health.rates, alerts }
        }])
      }).pipe(sql.withTransaction, Effect.orDie)

    const check = Effect.gen(function* () {
      const orgs = yield* decodeOrgs(yield* sql`
        SELECT DISTINCT org_id FROM notification_endpoints
        WHERE enabled AND event_types && ARRAY['health.critical', 'health.recovered']::text[]`)
      yield* Effect.forEach(orgs, ({ orgId }) => checkOrg(orgId), { discard: true })
    }).pipe(Effect.orDie, Effect.withSpan("HealthWatch.check"))

    return { check, checkOrg } as const
  }),
  dependencies: [Insights.Default]
}) {}
