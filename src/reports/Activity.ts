import * as SqlClient from "@effect/sql/SqlClient"
import type { DateTime } from "effect"
import { Data, Effect, Schema } from "effect"
import { Channel, EventDetails, EventType } from "../domain/Event.js"
import * as Cursor from "../storage/Cursor.js"
import { column, Timestamp } from "../storage/RowSchemas.js"
import { decodeRows, toDate } from "../storage/Rows.js"
import type { ReportDelivery } from "./DeliveryReports.js"
import { ReportRow, toReportDelivery, toReportEvent } from "./DeliveryReports.js"

/** The feed's keyset: (occurred_at in microseconds since the epoch, event id) of the last item. */
export const activityCursor = Cursor.make(Schema.Struct({ micros: Schema.String.pipe(Schema.pattern(/^-?\d{1,18}$/)), id: Schema.Int }))

/** No delivery of the caller's org has that provider message id. */
export class MessageNotFound extends Data.TaggedError("MessageNotFound")<{ readonly message: string }> {}

export interface ActivityFilter {
  readonly startDate: DateTime.Utc | undefined
  readonly endDate: DateTime.Utc | undefined
  readonly event: EventType | undefined
  readonly recipient: string | undefined
}

export interface ActivityItem {
  readonly broadcastId: string | null
  readonly recipient: string
  readonly channel: Channel
  readonly providerMessageId: string | null
  readonly type: EventType
  readonly provider: string
  readonly providerEventName: string | null
  readonly at: DateTime.Utc
  readonly details: EventDetails
}

export interface ProviderLogEntry extends Omit<ActivityItem, "broadcastId" | "channel" | "providerMessageId"> {
  readonly providerEventId: string
  readonly receivedAt: DateTime.Utc
}

const eventColumns = {
  type: EventType,
  provider: Schema.String,
  providerEventName: column("provider_event_name", Schema.NullOr(Schema.String)),
  at: column("occurred_at", Timestamp),
  details: EventDetails
}
const decodeFeed = decodeRows(Schema.Struct({
  ...eventColumns,
  id: Schema.Number,
  micros: Schema.String,
  broadcastId: column("broadcast_id", Schema.NullOr(Schema.String)),
  recipient: Schema.String,
  channel: Channel,
  providerMessageId: column("provider_message_id", Schema.NullOr(Schema.String))
}))
const decodeLog = decodeRows(Schema.Struct({
  ...eventColumns,
  deliveryId: column("delivery_id", Schema.Number),
  recipient: Schema.String,
  providerEventId: column("provider_event_id", Schema.String),
  receivedAt: column("received_at", Timestamp)
}))
const decodeReportRows = decodeRows(ReportRow)

/**
 * The org's delivery events across broadcasts, newest first, keyset on (occurred_at, id) over index
 * delivery_events_activity. The cursor carries occurred_at in whole microseconds, PostgreSQL's own
 * precision, so no event is lost or repeated to a millisecond rounding. Read-only SQL: no in-memory twin.
 */
export class Activity extends Effect.Service<Activity>()("Sendtrail/Activity", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const keyset = Cursor.newestFirst(sql, "e.occurred_at", "e.id")
    const feed = Effect.fn("Activity.feed")(function* (
      orgId: string, filter: ActivityFilter, before: { readonly micros: string; readonly id: number } | undefined, limit: number
    ) {
      // A recipient filter names the org and every channel, so PostgreSQL can probe deliveries_recipient
      // (org_id, channel, recipient) and read only that address's events, instead of walking all the
      // org's events newest first until a page matches (docs/benchmarks.md, "reports").
      const rows = yield* sql`
        SELECT e.id, ${keyset.key}, d.broadcast_id, d.recipient, d.channel,
          d.provider_message_id, e.type, e.provider, e.provider_event_name, e.occurred_at, e.details
        FROM delivery_events e JOIN deliveries d ON d.id = e.delivery_id
        WHERE e.org_id = ${orgId}
          ${filter.startDate === undefined ? sql`` : sql`AND e.occurred_at >= ${toDate(filter.startDate)}`}
          ${filter.endDate === undefined ? sql`` : sql`AND e.occurred_at < ${toDate(filter.endDate)}`}
          ${filter.event === undefined ? sql`` : sql`AND e.type = ${filter.event}`}
          ${filter.recipient === undefined ? sql`` : sql`AND d.org_id = ${orgId} AND d.channel IN ${sql.in(Channel.literals)} AND d.recipient = ${filter.recipient}`}
          ${keyset.after(before)}
        ${keyset.order} LIMIT ${limit + 1}`.pipe(Effect.flatMap(decodeFeed), Effect.orDie)
      const { items, next } = Cursor.cut(rows, limit)
      return {
        items: items.map(({ id: _, micros: __, ...item }): ActivityItem => item),
        nextCursor: next === undefined ? null : activityCursor.encode(next)
      }
    })

    /** One send: its delivery row(s) and every provider event for them, oldest first. */
    const message = Effect.fn("Activity.message")(function* (orgId: string, messageId: string) {
      const rows = yield* sql`
        SELECT id, broadcast_id, contact_id, recipient, channel, status, provider_message_id, error_reason,
          cost_value::text AS cost_value, cost_unit, sent_at, delivered_at, opened_at, clicked_at
        FROM deliveries WHERE org_id = ${orgId} AND provider_message_id = ${messageId} ORDER BY id`.pipe(Effect.flatMap(decodeReportRows), Effect.orDie)
      if (rows.length === 0) return yield* new MessageNotFound({ message: `no message '${messageId}'` })
      const log = yield* sql`
        SELECT e.delivery_id, d.recipient, e.type, e.provider, e.provider_event_name, e.provider_event_id, e.occurred_at, e.received_at, e.details
        FROM delivery_events e JOIN deliveries d ON d.id = e.delivery_id
        WHERE e.delivery_id IN ${sql.in(rows.map((row) => row.id))}
        ORDER BY e.occurred_at, e.id`.pipe(Effect.flatMap(decodeLog), Effect.orDie)
      const deliveries: Array<ReportDelivery> = rows.map((row) =>
        toReportDelivery(row, log.filter((event) => event.deliveryId === row.id).map(toReportEvent)))
      const events = log.map(({ deliveryId: _, ...entry }): ProviderLogEntry => entry)
      return { messageId, deliveries, events }
    })

    return { feed, message } as const
  })
}) {}
