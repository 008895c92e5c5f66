import * as SqlClient from "@effect/sql/SqlClient"
import { Chunk, Data, Effect, Option, Schema, Stream } from "effect"
import type { Cost } from "../domain/Delivery.js"
import { DeliveryStatus } from "../domain/Delivery.js"
import { Channel, EventDetails, EventType } from "../domain/Event.js"
import * as Cursor from "../storage/Cursor.js"
import { column, Timestamp } from "../storage/RowSchemas.js"
import { decodeRows } from "../storage/Rows.js"
import type { DateTime } from "effect"
import { csvRecord } from "./Csv.js"

/** The report's keyset: the last delivery id of a page. */
export const reportCursor = Cursor.make(Schema.Int)

/** No such broadcast in the caller's org; another org's broadcast is reported the same way. */
export class ReportBroadcastNotFound extends Data.TaggedError("ReportBroadcastNotFound")<{ readonly message: string }> {}

export interface ReportFilter {
  readonly statuses: ReadonlyArray<DeliveryStatus>
  readonly channel: Channel | undefined
}

export interface ReportEvent extends EventDetails {
  readonly type: EventType
  readonly at: DateTime.Utc
}

export interface ReportDelivery {
  readonly broadcastId: string | null
  readonly recipient: string
  readonly contactId: string | null
  readonly channel: Channel
  readonly status: DeliveryStatus
  readonly providerMessageId: string | null
  readonly events: ReadonlyArray<ReportEvent>
  readonly errorReason?: string
  readonly cost?: Cost
}

const NullableString = Schema.NullOr(Schema.String)
const NullableDate = Schema.NullOr(Schema.DateFromSelf)

/** A delivery as the reports read it; its cost as stored text, which the CSV shows as it is. */
export const ReportRow = Schema.Struct({
  id: Schema.Number,
  broadcastId: column("broadcast_id", NullableString),
  contactId: column("contact_id", NullableString),
  recipient: Schema.String,
  channel: Channel,
  status: DeliveryStatus,
  providerMessageId: column("provider_message_id", NullableString),
  errorReason: column("error_reason", NullableString),
  costValue: column("cost_value", NullableString),
  costUnit: column("cost_unit", NullableString),
  sentAt: column("sent_at", NullableDate),
  deliveredAt: column("delivered_at", NullableDate),
  openedAt: column("opened_at", NullableDate),
  clickedAt: column("clicked_at", NullableDate),
  /** Only the CSV asks for it. */
  eventCount: Schema.optional(Schema.Number).pipe(Schema.fromKey("event_count"))
})
export type ReportRow = typeof ReportRow.Type

const ReportEventRow = Schema.Struct({
  deliveryId: column("delivery_id", Schema.Number),
  type: EventType,
  at: column("occurred_at", Timestamp),
  details: EventDetails
})
type ReportEventRow = typeof ReportEventRow.Type

const decodeReportRows = decodeRows(ReportRow)
const decodeEvents = decodeRows(ReportEventRow)

export const csvColumns = [
  "broadcastId", "recipient", "contactId", "channel", "status", "providerMessageId", "errorReason", "costValue", "costUnit",
  "firstSentAt", "deliveredAt", "openedAt", "clickedAt", "eventCount"
] as const

const iso = (date: Date | null): string | null => date === null ? null : date.toISOString()

export const toReportDelivery = (row: ReportRow, events: ReadonlyArray<ReportEvent>): ReportDelivery => ({
  broadcastId: row.broadcastId,
  recipient: row.recipient,
  contactId: row.contactId,
  channel: row.channel,
  status: row.status,
  providerMessageId: row.providerMessageId,
  events,
  ...(row.errorReason === null ? {} : { errorReason: row.errorReason }),
  ...(row.costValue === null || row.costUnit === null ? {} : { cost: { value: Number(row.costValue), unit: row.costUnit } })
})

export const toReportEvent = ({ type, at, details }: Omit<ReportEventRow, "deliveryId">): ReportEvent => ({ type, at, ...details })

/**
 * A broadcast's delivery rows, keyset-paged on deliveries.id (index deliveries_broadcast_page): a row inserted
 * while a client pages gets a higher id, so pages neither lose nor repeat rows. Read-only SQL over
 * tables the pipeline writes: no in-memory twin, tests run it on PostgreSQL.
 */
export class DeliveryReports extends Effect.Service<DeliveryReports>()("Sendtrail/DeliveryReports", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const owned = Effect.fn("DeliveryReports.owned")(function* (orgId: string, broadcastId: string) {
      const rows = yield* sql`SELECT 1 FROM broadcasts WHERE id = ${broadcastId} AND org_id = ${orgId}`.pipe(Effect.orDie)
      if (rows.length === 0) return yield* new ReportBroadcastNotFound({ message: `no broadcast '${broadcastId}'` })
    })

    const rowsAfter = (orgId: string, broadcastId: string, filter: ReportFilter, afterId: number, limit: number, withCount: boolean) =>
      sql`
        SELECT d.id, d.broadcast_id, d.contact_id, d.recipient, d.channel, d.status, d.provider_message_id, d.error_reason,
          d.cost_value::text AS cost_value, d.cost_unit, d.sent_at, d.delivered_at, d.opened_at, d.clicked_at
          ${withCount ? sql`, (SELECT count(*)::int FROM delivery_events e WHERE e.delivery_id = d.id) AS event_count` : sql``}
        FROM deliveries d
        WHERE d.broadcast_id = ${broadcastId} AND d.org_id = ${orgId} AND d.id > ${afterId}
          ${filter.statuses.length === 0 ? sql`` : sql`AND d.status IN ${sql.in(filter.statuses)}`}
          ${filter.channel === undefined ? sql`` : sql`AND d.channel = ${filter.channel}`}
        ORDER BY d.id
        LIMIT ${limit}`.pipe(Effect.flatMap(decodeReportRows), Effect.orDie)

    /** A page of rows and, in one query for all of them, their events in time order. */
    const page = Effect.fn("DeliveryReports.page")(function* (
      orgId: string, broadcastId: string, filter: ReportFilter, afterId: number, pageSize: number
    ) {
      yield* owned(orgId, broadcastId)
      const rows = yield* rowsAfter(orgId, broadcastId, filter, afterId, pageSize + 1, false)
      const items = rows.slice(0, pageSize)
      const ids = items.map((row) => row.id)
      const events = ids.length === 0 ? [] : yield* sql`
        SELECT delivery_id, type, occurred_at, details FROM delivery_events
        WHERE delivery_id IN ${sql.in(ids)}
        ORDER BY delivery_id, occurred_at, id`.pipe(Effect.flatMap(decodeEvents), Effect.orDie)
      const byDelivery = new Map<number, Array<ReportEvent>>()
      for (const event of events) {
        const list = byDelivery.get(event.deliveryId) ?? []
        list.push(toReportEvent(event))
        byDelivery.set(event.deliveryId, list)
      }
      const last = items[items.length - 1]
      return {
        items: items.map((row) => toReportDelivery(row, byDelivery.get(row.id) ?? [])),
        nextCursor: rows.length > pageSize && last !== undefined ? reportCursor.encode(last.id) : null
      }
    })

    /** The report as CSV, read `batch` rows at a time by keyset: nothing large is held in memory. */
    const csv = Effect.fn("DeliveryReports.csv")(function* (orgId: string, broadcastId: string, filter: ReportFilter, batch = 1000) {
      yield* owned(orgId, broadcastId)
      const encoder = new TextEncoder()
      const body = Stream.paginateChunkEffect(0, (afterId: number) =>
        Effect.map(rowsAfter(orgId, broadcastId, filter, afterId, batch, true), (rows) => {
          const last = rows[rows.length - 1]
          const text = rows.map((row) => csvRecord([
            row.broadcastId, row.recipient, row.contactId, row.channel, row.status, row.providerMessageId, row.errorReason,
            row.costValue, row.costUnit, iso(row.sentAt), iso(row.deliveredAt), iso(row.openedAt), iso(row.clickedAt), row.eventCount ?? null
          ])).join("")
          const next = rows.length === batch && last !== undefined ? Option.some(last.id) : Option.none()
          return [rows.length === 0 ? Chunk.empty<string>() : Chunk.of(text), next] as const
        }))
      return Stream.concat(Stream.make(csvRecord(csvColumns)), body).pipe(Stream.map((text) => encoder.encode(text)))
    })

    return { page, csv } as const
  })
}) {}
