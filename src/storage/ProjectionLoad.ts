import type { SqlClient } from "@effect/sql/SqlClient"
import { Effect, Schema } from "effect"
import { registrationSent, statusPrecedence } from "../domain/Delivery.js"
import type { NormalizedEvent } from "../domain/Event.js"
import { Channel, EventDetails, EventType, eventKey, normalizeAddress } from "../domain/Event.js"
import { isSoftBounce } from "../domain/Lifecycle.js"
import type { BatchState, DeliveryState } from "../domain/Projection.js"
import type { SuppressionReason } from "../domain/Records.js"
import { contactKey, deliveryRef, keyRef, timelineMark } from "../domain/Projection.js"
import type { Timeline, TimelineEntry } from "../domain/SoftBounceStreak.js"
import { merge } from "../domain/SoftBounceStreak.js"
import { contactOfRecipient } from "./ContactLinks.js"
import { column, deliveryState, DeliveryStateRow, deliveryStateColumns } from "./RowSchemas.js"
import { decodeRows } from "./Rows.js"

/**
 * Reads the state of the keys a batch touches with one statement per table, whatever the batch's
 * size: rows travel as one json parameter, so no batch meets the bind parameter limit.
 */

const decodeDeliveries = decodeRows(DeliveryStateRow)
const decodeEventKeys = decodeRows(Schema.Struct({ provider: Schema.String, providerEventId: column("provider_event_id", Schema.String) }))
const Address = { orgId: column("org_id", Schema.String), channel: Channel, address: Schema.String }
const decodeTimelines = decodeRows(Schema.Struct({ ...Address, entries: Schema.Array(Schema.Array(Schema.Union(Schema.String, Schema.Number))) }))
const decodeHistory = decodeRows(Schema.Struct({
  ...Address,
  deliveryId: column("delivery_id", Schema.Number),
  provider: Schema.String,
  providerEventId: column("provider_event_id", Schema.String),
  type: EventType,
  occurredAt: column("occurred_at", Schema.DateFromSelf),
  details: EventDetails
}))

/** An event and the inbox row it is stored in. */
export interface InboxEvent {
  readonly inboxId: number
  readonly event: NormalizedEvent
}

/** An entry as stored: [at, key, mark, delivery id] and, for a cause, [… reason, source]. */
export type TimelineRow = ReadonlyArray<ReadonlyArray<string | number>>
export const encodeTimeline = (timeline: Timeline): TimelineRow =>
  timeline.map((e) => e.mark === "c" ? [e.at, e.key, e.mark, e.deliveryId, e.reason, e.source] : [e.at, e.key, e.mark, e.deliveryId])
const decodeTimeline = (row: TimelineRow): Timeline =>
  row.map(([at, key, mark, deliveryId, reason, source]) => ({
    at: Number(at), key: String(key), deliveryId: Number(deliveryId),
    ...(mark === "c" ? { mark, reason: reason as SuppressionReason, source: String(source) } : { mark: mark as "s" | "d" })
  }))

const addressOf = (event: NormalizedEvent) =>
  ({ org_id: event.orgId, channel: event.channel, address: normalizeAddress(event.channel, event.recipient) })

/**
 * Records the events whose delivery is known (each key once), copied from their inbox rows in SQL so
 * they do not travel back; answers the keys that were new.
 */
const recordEvents = (sql: SqlClient, entries: ReadonlyArray<InboxEvent>, deliveries: ReadonlyMap<string, DeliveryState>) =>
  Effect.gen(function* () {
    const rows = new Map<string, readonly [number, number]>()
    for (const { inboxId, event: e } of entries) {
      const delivery = deliveries.get(deliveryRef(e))
      if (delivery === undefined || delivery.orgId !== e.orgId || rows.has(eventKey(e))) continue
      rows.set(eventKey(e), [inboxId, delivery.id])
    }
    if (rows.size === 0) return new Set<string>()
    const pairs = [...rows.values()]
    // A provider's own `sent` replaces the registration's stand-in (same statement: the DELETE sees the
    // rows as they were before the INSERT), so a chronology holds one `sent` whichever came first.
    const inserted = yield* sql`
      WITH recorded AS (
        INSERT INTO delivery_events (delivery_id, org_id, type, occurred_at, provider, provider_event_name, provider_event_id, details)
        SELECT u.delivery_id, i.event->>'orgId', i.event->>'type', (i.event->>'occurredAt')::timestamptz, i.event->>'provider',
          i.event->>'providerEventName', i.event->>'providerEventId', i.event->'details'
        FROM unnest(${pairs.map((p) => p[0])}::bigint[], ${pairs.map((p) => p[1])}::bigint[]) AS u(inbox_id, delivery_id)
        JOIN ingest_inbox i ON i.id = u.inbox_id
        ON CONFLICT (provider, provider_event_id) DO NOTHING
        RETURNING delivery_id, type, provider, provider_event_id),
      replaced AS (
        DELETE FROM delivery_events e USING recorded r
        WHERE r.type = 'sent' AND e.delivery_id = r.delivery_id AND e.type = 'sent' AND e.provider = ${registrationSent.provider}
          AND e.provider_event_id = ${registrationSent.idPrefix}::text || e.delivery_id)
      SELECT provider, provider_event_id FROM recorded`.pipe(Effect.flatMap(decodeEventKeys))
    return new Set(inserted.map(eventKey))
  })

/**
 * The state of the keys a batch touches, read with one statement per table; the batch's new delivery
 * rows are created and its events recorded on the way.
 */
export const loadBatchState = (sql: SqlClient, entries: ReadonlyArray<InboxEvent>, at: Date) =>
  Effect.gen(function* () {
    const events = entries.map((e) => e.event)
    // One key per delivery: the first event naming it supplies what a new row is created with.
    const keyed = [...new Map(events.filter((e) => e.deliveryId === undefined).map((e) => {
      const ref = deliveryRef(e)
      return [ref, {
        ref, org_id: e.orgId, provider: e.provider, provider_message_id: e.providerMessageId,
        recipient: normalizeAddress(e.channel, e.recipient), channel: e.channel, broadcast_id: e.broadcastId ?? null,
        contact_id: e.contactId ?? null, sender_account_id: e.senderAccountId ?? null
      }] as const
    }).reverse()).values()]
    const byId = [...new Set(events.flatMap((e) => e.deliveryId ?? []))]

    const columns = sql.unsafe(`d.id, d.org_id, d.provider, d.provider_message_id, d.recipient, d.channel, d.broadcast_id, d.contact_id,
      d.sender_account_id, d.status, d.error_reason, d.decided_at, d.decided_by, ${statusPrecedence.map((s) => `d.${s}_at`).join(", ")},
      d.human_opened, d.human_clicked`)
    const keys = (rows: ReadonlyArray<(typeof keyed)[number]>) => sql`json_to_recordset(${JSON.stringify(rows.map(({ ref: _, ...k }) => k))}::json)
      AS k(org_id text, provider text, provider_message_id text, recipient text, channel text, broadcast_id text, contact_id text,
        sender_account_id text)`
    // Every index that may serve the join is exact (the channel too), whatever a table without statistics tempts the planner to.
    const matches = sql`d.org_id = k.org_id AND d.provider = k.provider AND d.provider_message_id = k.provider_message_id
      AND d.recipient = k.recipient AND d.channel = k.channel AND d.provider_message_id IS NOT NULL`
    // The rows by key and by id and, in the same statement, those a provider event creates before its
    // send is registered (as they would be at send time).
    const rows = [...yield* sql`
      WITH k AS MATERIALIZED (SELECT * FROM ${keys(keyed)}),
      found AS (SELECT ${columns} FROM k JOIN deliveries d ON ${matches}
        UNION SELECT ${columns} FROM deliveries d WHERE d.id = ANY(${byId}::bigint[])),
      made AS (
        INSERT INTO deliveries AS d (org_id, broadcast_id, contact_id, recipient, channel, status, provider, provider_message_id,
          sender_account_id, created_at, updated_at)
        SELECT org_id, broadcast_id, COALESCE(contact_id, ${contactOfRecipient(sql, "k")}), recipient, channel, 'queued', provider,
          provider_message_id, sender_account_id, ${at}, ${at}
        FROM k WHERE NOT EXISTS (SELECT 1 FROM found d WHERE ${matches})
        ORDER BY org_id, provider, provider_message_id, recipient
        ON CONFLICT (org_id, provider, provider_message_id, recipient) WHERE provider_message_id IS NOT NULL DO NOTHING
        RETURNING ${columns})
      SELECT ${sql.unsafe(deliveryStateColumns)} FROM (SELECT * FROM found UNION ALL SELECT * FROM made) d`.pipe(Effect.flatMap(decodeDeliveries))]
    const refOf = (row: (typeof rows)[number]) =>
      row.providerMessageId === null ? `#${row.id}` : keyRef(row.orgId, row.provider, row.providerMessageId, row.recipient)
    const found = new Set(rows.map(refOf))
    // Created meanwhile by another writer (a registration): not inserted, not yet seen; read now.
    const late = keyed.filter((k) => !found.has(k.ref))
    if (late.length > 0) rows.push(...yield* sql`SELECT ${sql.unsafe(deliveryStateColumns)} FROM ${keys(late)} JOIN deliveries d ON ${matches}`.pipe(Effect.flatMap(decodeDeliveries)))
    const deliveries = new Map<string, DeliveryState>()
    for (const row of rows) {
      // A row reached by key and by id is one row: both name it.
      const delivery = deliveryState(row)
      deliveries.set(`#${row.id}`, delivery)
      deliveries.set(refOf(row), delivery)
    }

    const marked = events.filter((e) => timelineMark(e) !== null)
    const timelines = new Map<string, Timeline>()
    if (marked.length > 0) {
      const stored = yield* sql`
        SELECT t.* FROM address_timelines t
        JOIN (SELECT DISTINCT * FROM json_to_recordset(${JSON.stringify(marked.map(addressOf))}::json)
          AS k(org_id text, channel text, address text)) k
          ON t.org_id = k.org_id AND t.channel = k.channel AND t.address = k.address`.pipe(Effect.flatMap(decodeTimelines))
      for (const row of stored) timelines.set(contactKey({ ...row, recipient: row.address }), decodeTimeline(row.entries))
      // A first soft bounce: the address's timeline starts from its history.
      const first = marked.filter((e) => isSoftBounce(e) && !timelines.has(contactKey(e)))
      if (first.length > 0) {
        for (const e of first) timelines.set(contactKey(e), [])
        const history = yield* sql`
          SELECT d.org_id, d.channel, d.recipient AS address, d.id AS delivery_id, e.provider, e.provider_event_id, e.type, e.occurred_at, e.details
          FROM (SELECT DISTINCT * FROM json_to_recordset(${JSON.stringify(first.map(addressOf))}::json)
            AS k(org_id text, channel text, address text)) k
          JOIN deliveries d ON d.org_id = k.org_id AND d.channel = k.channel AND d.recipient = k.address
          JOIN delivery_events e ON e.delivery_id = d.id
            AND e.type IN ('delivered', 'soft_bounced', 'bounced', 'complained', 'unsubscribed', 'failed')`.pipe(Effect.flatMap(decodeHistory))
        const found = new Map<string, Array<TimelineEntry>>()
        for (const h of history) {
          const mark = timelineMark(h)
          if (mark === null) continue
          const key = contactKey({ ...h, recipient: h.address })
          const entry = { at: h.occurredAt.getTime(), key: eventKey(h), deliveryId: h.deliveryId, ...mark }
          found.set(key, [...(found.get(key) ?? []), entry])
        }
        for (const [key, added] of found) timelines.set(key, merge([], added))
      }
    }
    // Last, so the timelines above are read without this batch: its events are recorded, and the unique
    // event key decides which are new; the rest an earlier batch (or another writer) recorded already.
    const recorded = yield* recordEvents(sql, entries, deliveries)
    const applied = new Set(events.map(eventKey).filter((key) => !recorded.has(key)))
    return { deliveries, applied, timelines } satisfies BatchState
  })
