import type { SqlClient } from "@effect/sql/SqlClient"
import { DateTime, Effect } from "effect"
import type { SuppressionWrite } from "../domain/AddressEffects.js"
import type { Channel, NormalizedEvent } from "../domain/Event.js"
import { eventKey } from "../domain/Event.js"
import type { SenderAccount } from "../domain/Records.js"
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
export const fromEvents = (events: ReadonlyArray<{ readonly deliveryId: number; readonly event: NormalizedEvent }>): Array<Notification> =>
  events.flatMap(({ deliveryId, event }) => {
    const type = typeOfEvent[event.type]
    if (type === undefined) return []
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

/** The suppressions a batch wrote: each notifies when the batch created it (not when it was there already). */
export const fromSuppressionWrites = (writes: ReadonlyArray<SuppressionWrite>, at: Date) =>
  writes.map((s) => fromSuppression({
    ...s, category: s.category === "" ? null : s.category,
    sourceKey: `suppressed:${s.channel}:${s.address}:${s.category}:${String(s.metadata.eventKey ?? at.toISOString())}`,
    occurredAt: typeof s.metadata.occurredAt === "string" ? new Date(s.metadata.occurredAt) : at
  }, true))

export const fromSender = (account: SenderAccount, type: "sender.flagged" | "sender.unflagged", at: DateTime.Utc): Notification => ({
  orgId: account.orgId, type, sourceKey: `${type}:${account.id}:${iso(at)}`, occurredAt: iso(at), scope: "org",
  channel: null, broadcastId: null, category: null,
  data: {
    senderAccountId: account.id, reason: account.flaggedReason, sent: account.sent, bounced: account.bounced,
    complained: account.complained, bounceRate: account.bounceRate, complaintRate: account.complaintRate
  }
})

/**
 * One statement for every notification of a transaction. It costs nothing past a lookup of the
 * enabled-endpoints index when none of the orgs has an endpoint: the join runs only under that test.
 */
export const enqueue = (sql: SqlClient, notifications: ReadonlyArray<Notification>) => {
  if (notifications.length === 0) return Effect.void
  const orgs = [...new Set(notifications.map((n) => n.orgId))]
  const rows = notifications.map((n) => ({
    org_id: n.orgId, type: n.type, source_key: n.sourceKey, occurred_at: n.occurredAt, scope: n.scope, channel: n.channel,
    broadcast_id: n.broadcastId, category: n.category, data: n.data, created_address: n.onlyIfSuppressionCreated ?? null
  }))
  return Effect.asVoid(sql`
    INSERT INTO notification_outbox (id, endpoint_id, org_id, event_type, source_key, payload)
    SELECT 'msg_' || replace(gen_random_uuid()::text, '-', ''), e.id, u.org_id, u.type, u.source_key,
      jsonb_build_object('type', u.type, 'timestamp', u.occurred_at, 'data',
        CASE WHEN u.scope = 'delivery' THEN u.data || jsonb_build_object('category', coalesce(b.category, u.category, 'transactional')) ELSE u.data END)
    FROM json_to_recordset(${JSON.stringify(rows)}::json) AS u(org_id text, type text, source_key text, occurred_at text, scope text,
      channel text, broadcast_id text, category text, data jsonb, created_address text)
    JOIN notification_endpoints e ON e.org_id = u.org_id AND e.enabled AND u.type = ANY(e.event_types)
    LEFT JOIN broadcasts b ON u.scope = 'delivery' AND b.id = u.broadcast_id
    WHERE EXISTS (SELECT 1 FROM notification_endpoints WHERE enabled AND org_id IN (SELECT json_array_elements_text(${JSON.stringify(orgs)}::json)))
      AND (u.scope = 'org' OR (
        (e.channels IS NULL OR u.channel = ANY(e.channels))
        AND (e.broadcast_ids IS NULL OR u.scope = 'contact' OR u.broadcast_id = ANY(e.broadcast_ids))
        AND (e.categories IS NULL OR (u.scope = 'contact' AND u.category IS NULL)
          OR coalesce(b.category, u.category, 'transactional') = ANY(e.categories))))
      AND (u.created_address IS NULL OR EXISTS (SELECT 1 FROM suppressions s WHERE s.org_id = u.org_id AND s.channel = u.channel
        AND s.address = u.created_address AND s.category = coalesce(u.category, '') AND s.created_at = now()))
    ORDER BY e.id, u.source_key
    ON CONFLICT (endpoint_id, source_key) DO NOTHING`)
}
