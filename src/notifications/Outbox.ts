import type { SqlClient } from "@effect/sql/SqlClient"
import { DateTime, Effect, Schema } from "effect"
import type { SuppressionWrite } from "../domain/AddressEffects.js"
import type { Channel, NormalizedEvent } from "../domain/Event.js"
import { eventKey } from "../domain/Event.js"
import type { SenderAccount } from "../domain/Records.js"
import { column } from "../storage/RowSchemas.js"
import { decodeRows } from "../storage/Rows.js"
import type { NotificationType } from "./Formats.js"
import { typeOfEvent } from "./Formats.js"

/**
 * The transactional outbox: notifications are written by the transaction of the change that causes
 * them (the pipeline's batch, an API call), one set statement for all of them, and sent later by the
 * Dispatcher. A notification becomes one message per enabled endpoint of its org that wants its type
 * and whose filter it passes; (endpoint, source key) is unique, so the same cause never queues twice.
 */

/**
 * Which of an endpoint's filters apply: a delivery's notification has a channel, a broadcast (or none)
 * and a stream; a suppression a channel and maybe a category; the org's own (sender, health) none.
 */
export type Scope = "delivery" | "contact" | "org"

export interface Notification {
  readonly orgId: string
  readonly type: NotificationType
  readonly sourceKey: string
  /** ISO 8601: when it happened (the payload's `timestamp`). */
  readonly occurredAt: string
  readonly scope: Scope
  readonly channel: Channel | null
  readonly broadcastId: string | null
  /** A delivery's stream is its broadcast's category, else this, else `transactional` (as rollups resolve it). */
  readonly category: string | null
  readonly data: Record<string, unknown>
  /** A suppression the pipeline may or may not have created: notified only when this transaction created it. */
  readonly onlyIfSuppressionCreated?: string
}

const iso = (at: DateTime.Utc | Date) => (at instanceof Date ? at.toISOString() : DateTime.formatIso(at))

/** The pipeline's newly recorded events, those of a notifying type. */
export const fromEvents = (events: ReadonlyArray<{ readonly deliveryId: number; readonly event: NormalizedEvent }>, wants: Wants): Array<Notification> =>
  events.flatMap(({ deliveryId, event }) => {
    const type = typeOfEvent[event.type]
    if (type === undefined || !wants(event.orgId, type)) return []
    const { details } = event
    return [{
      orgId: event.orgId, type, sourceKey: eventKey(event), occurredAt: iso(event.occurredAt), scope: "delivery",
      channel: event.channel, broadcastId: event.broadcastId ?? null, category: details.category ?? null,
      data: {
        eventId: eventKey(event), deliveryId, provider: event.provider, providerMessageId: event.providerMessageId,
        recipient: event.recipient, channel: event.channel, broadcastId: event.broadcastId ?? null, contactId: event.contactId ?? null,
        senderAccountId: event.senderAccountId ?? null, occurredAt: iso(event.occurredAt),
        ...(details.reason === undefined ? {} : { reason: details.reason }),
        ...(details.bounceKind === undefined ? {} : { bounceKind: details.bounceKind }),
        ...(details.enhancedStatus === undefined ? {} : { enhancedStatus: details.enhancedStatus }),
        ...(details.url === undefined ? {} : { url: details.url }),
        ...(details.machine === undefined ? {} : { machine: details.machine })
      }
    }]
  })

export interface SuppressionNotice {
  readonly orgId: string
  readonly channel: Channel
  readonly address: string
  /** null: the whole channel. */
  readonly category: string | null
  readonly reason: string
  readonly source: string
  readonly sourceKey: string
  readonly occurredAt: Date | DateTime.Utc
}

export const fromSuppression = (s: SuppressionNotice, onlyIfCreated = false): Notification => ({
  orgId: s.orgId, type: "contact.suppressed", sourceKey: s.sourceKey, occurredAt: iso(s.occurredAt), scope: "contact",
  channel: s.channel, broadcastId: null, category: s.category,
  data: { channel: s.channel, address: s.address, category: s.category, reason: s.reason, source: s.source },
  ...(onlyIfCreated ? { onlyIfSuppressionCreated: s.address } : {})
})

const earliestCause = (s: SuppressionWrite) => `${String(s.metadata.occurredAt)}|${String(s.metadata.eventKey)}`

/**
 * The suppressions a batch wrote: each notifies when the batch created it (not when it was there
 * already), once, under its earliest cause (the one the row keeps, ProjectionWrites).
 */
export const fromSuppressionWrites = (writes: ReadonlyArray<SuppressionWrite>, at: Date, wants: Wants) => {
  const first = new Map<string, SuppressionWrite>()
  for (const s of writes) {
    if (!wants(s.orgId, "contact.suppressed")) continue
    const key = JSON.stringify([s.orgId, s.channel, s.address, s.category])
    const seen = first.get(key)
    if (seen === undefined || earliestCause(s) < earliestCause(seen)) first.set(key, s)
  }
  return [...first.values()].map((s) => fromSuppression({
    ...s, category: s.category === "" ? null : s.category,
    sourceKey: `suppressed:${s.channel}:${s.address}:${s.category}:${String(s.metadata.eventKey ?? at.toISOString())}`,
    occurredAt: typeof s.metadata.occurredAt === "string" ? new Date(s.metadata.occurredAt) : at
  }, true))
}

export const fromSender = (account: SenderAccount, type: "sender.flagged" | "sender.unflagged", at: DateTime.Utc): Notification => ({
  orgId: account.orgId, type, sourceKey: `${type}:${account.id}:${iso(at)}`, occurredAt: iso(at), scope: "org",
  channel: null, broadcastId: null, category: null,
  data: {
    senderAccountId: account.id, reason: account.flaggedReason, sent: account.sent, bounced: account.bounced,
    complained: account.complained, bounceRate: account.bounceRate, complaintRate: account.complaintRate
  }
})

/** Whether some enabled endpoint of the org wants the type. */
export type Wants = (orgId: string, type: NotificationType) => boolean

const decodeWanted = decodeRows(Schema.Struct({ orgId: column("org_id", Schema.String), types: Schema.Array(Schema.String) }))

/**
 * The notifications of a transaction, built only for what some enabled endpoint wants, written with
 * one set statement. First one lookup of the enabled-endpoints index for the orgs involved: when none
 * of them has an endpoint (the common case) that is all it costs, nothing is built or sent.
 */
export const enqueue = (sql: SqlClient, orgIds: Iterable<string>, build: (wants: Wants) => ReadonlyArray<Notification>) =>
  Effect.gen(function* () {
    const orgs = [...new Set(orgIds)]
    if (orgs.length === 0) return
    const wanted = yield* decodeWanted(yield* sql`
      SELECT org_id, array_agg(DISTINCT t) AS types FROM notification_endpoints, unnest(event_types) AS t
      WHERE enabled AND org_id IN (SELECT json_array_elements_text(${JSON.stringify(orgs)}::json)) GROUP BY org_id`)
    if (wanted.length === 0) return
    const types = new Map(wanted.map((row) => [row.orgId, new Set(row.types)]))
    const notifications = build((orgId, type) => types.get(orgId)?.has(type) === true)
    if (notifications.length === 0) return
    yield* insert(sql, notifications)
  }).pipe(Effect.orDie)

/** The notifications given, for whichever endpoints want them (a few at a time: an API call's). */
export const enqueueAll = (sql: SqlClient, notifications: ReadonlyArray<Notification>) =>
  enqueue(sql, notifications.map((n) => n.orgId), (wants) => notifications.filter((n) => wants(n.orgId, n.type)))

/** One message per notification and enabled endpoint of its org that wants its type and passes its filter. */
const insert = (sql: SqlClient, notifications: ReadonlyArray<Notification>) => {
  const rows = notifications.map((n) => ({
    org_id: n.orgId, type: n.type, source_key: n.sourceKey, occurred_at: n.occurredAt, scope: n.scope, channel: n.channel,
    broadcast_id: n.broadcastId, category: n.category, data: n.data, created_address: n.onlyIfSuppressionCreated ?? null
  }))
  return sql`
    INSERT INTO notification_outbox (id, endpoint_id, org_id, event_type, source_key, payload)
    SELECT 'msg_' || replace(gen_random_uuid()::text, '-', ''), e.id, u.org_id, u.type, u.source_key,
      jsonb_build_object('type', u.type, 'timestamp', u.occurred_at, 'data',
        CASE WHEN u.scope = 'delivery' THEN u.data || jsonb_build_object('category', coalesce(b.category, u.category, 'transactional')) ELSE u.data END)
    FROM json_to_recordset(${JSON.stringify(rows)}::json) AS u(org_id text, type text, source_key text, occurred_at text, scope text,
      channel text, broadcast_id text, category text, data jsonb, created_address text)
    JOIN notification_endpoints e ON e.org_id = u.org_id AND e.enabled AND u.type = ANY(e.event_types)
    LEFT JOIN broadcasts b ON u.scope = 'delivery' AND b.id = u.broadcast_id
    WHERE (u.scope = 'org' OR (
        (e.channels IS NULL OR u.channel = ANY(e.channels))
        AND (e.broadcast_ids IS NULL OR u.scope = 'contact' OR u.broadcast_id = ANY(e.broadcast_ids))
        AND (e.categories IS NULL OR (u.scope = 'contact' AND u.category IS NULL)
          OR coalesce(b.category, u.category, 'transactional') = ANY(e.categories))))
      AND (u.created_address IS NULL OR EXISTS (SELECT 1 FROM suppressions s WHERE s.org_id = u.org_id AND s.channel = u.channel
        AND s.address = u.created_address AND s.category = coalesce(u.category, '') AND s.created_at = now()))
    ORDER BY e.id, u.source_key
    ON CONFLICT (endpoint_id, source_key) DO NOTHING`
}
