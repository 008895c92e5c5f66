import * as SqlClient from "@effect/sql/SqlClient"
import { DateTime, Effect, Option, Schema } from "effect"
import type { Cost, Delivery, DeliveryEvent, DeliveryStatus, Milestones } from "../domain/Delivery.js"
import { statusPrecedence } from "../domain/Delivery.js"
import type { Channel, NormalizedEvent } from "../domain/Event.js"
import { EventDetails, normalizeAddress } from "../domain/Event.js"
import type { LifecycleState } from "../domain/Lifecycle.js"
import { first, toDate, toDateOrNull, toDateTime, toDateTimeOrNull } from "./Rows.js"

export interface DeliveryKey {
  readonly orgId: string
  readonly provider: string
  readonly providerMessageId: string
  readonly recipient: string
}

export interface NewDelivery extends DeliveryKey {
  readonly broadcastId: string | null
  readonly contactId: string | null
  readonly channel: Channel
  readonly status: DeliveryStatus
  readonly senderAccountId: string | null
  readonly cost: Cost | null
  readonly at: DateTime.Utc
  /** Registered at send time: `status` was reached at `at`. False for a row a provider event creates. */
  readonly reached: boolean
}

export type DeliveryState = Omit<LifecycleState, "seen">

/** One input of `registerMany`: its row, and whether this call created it. */
export interface Registered {
  readonly delivery: Delivery
  readonly created: boolean
}

/** A recipient of a broadcast's deliveries on one channel, with a contact id one of them carries. */
export interface DeliveredRecipient {
  readonly channel: Channel
  readonly recipient: string
  readonly contactId: string | null
}

/** The unique key of a delivery row, as text. */
const deliveryKey = (key: DeliveryKey): string => JSON.stringify([key.orgId, key.provider, key.providerMessageId, key.recipient])
const rowKey = (row: Pick<DeliveryRow, "org_id" | "provider" | "provider_message_id" | "recipient">): string =>
  JSON.stringify([row.org_id, row.provider, row.provider_message_id, row.recipient])

type MilestoneColumns = { readonly [S in DeliveryStatus as `${S}_at`]: Date | null }
interface DeliveryRow extends MilestoneColumns {
  readonly id: number
  readonly org_id: string
  readonly broadcast_id: string | null
  readonly contact_id: string | null
  readonly recipient: string
  readonly channel: Channel
  readonly status: DeliveryStatus
  readonly provider: string
  readonly provider_message_id: string | null
  readonly sender_account_id: string | null
  readonly error_reason: string | null
  readonly cost_value: string | null
  readonly cost_unit: string | null
  readonly decided_at: Date | null
  readonly decided_by: string | null
  readonly created_at: Date
  readonly updated_at: Date
}

const fromRow = (row: DeliveryRow): Delivery => {
  const milestones: { -readonly [K in keyof Milestones]: Milestones[K] } = {}
  for (const status of statusPrecedence) {
    const at = row[`${status}_at`]
    if (at !== null) milestones[status] = toDateTime(at)
  }
  return {
    id: row.id,
    orgId: row.org_id,
    broadcastId: row.broadcast_id,
    contactId: row.contact_id,
    recipient: row.recipient,
    channel: row.channel,
    status: row.status,
    provider: row.provider,
    providerMessageId: row.provider_message_id,
    senderAccountId: row.sender_account_id,
    errorReason: row.error_reason,
    cost: row.cost_value === null || row.cost_unit === null ? null : { value: Number(row.cost_value), unit: row.cost_unit },
    milestones,
    decidedAt: toDateTimeOrNull(row.decided_at),
    decidedBy: row.decided_by,
    createdAt: toDateTime(row.created_at),
    updatedAt: toDateTime(row.updated_at)
  }
}

interface EventRow {
  readonly id: number
  readonly delivery_id: number
  readonly org_id: string
  readonly type: DeliveryEvent["type"]
  readonly occurred_at: Date
  readonly received_at: Date
  readonly provider: string
  readonly provider_event_name: string | null
  readonly provider_event_id: string
  readonly details: unknown
}

const decodeDetails = Schema.decodeUnknownSync(EventDetails)

const eventFromRow = (row: EventRow): DeliveryEvent => ({
  id: row.id,
  deliveryId: row.delivery_id,
  orgId: row.org_id,
  type: row.type,
  occurredAt: toDateTime(row.occurred_at),
  receivedAt: toDateTime(row.received_at),
  provider: row.provider,
  providerEventName: row.provider_event_name,
  providerEventId: row.provider_event_id,
  details: decodeDetails(row.details)
})

/**
 * Delivery rows and their event chronology. `acquire` finds or creates the row for a provider's
 * message and recipient and, inside a transaction, locks it: concurrent instances serialize per row.
 */
export class DeliveryRepository extends Effect.Service<DeliveryRepository>()("Sendtrail/DeliveryRepository", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const selectByKey = (key: DeliveryKey, lock: boolean) =>
      sql<DeliveryRow>`
        SELECT * FROM deliveries
        WHERE org_id = ${key.orgId} AND provider = ${key.provider}
          AND provider_message_id = ${key.providerMessageId} AND recipient = ${key.recipient}
        ${lock ? sql`FOR UPDATE` : sql``}`.pipe(Effect.map((rows) => Option.map(first(rows), fromRow)))

    const findById = Effect.fn("DeliveryRepository.findById")(function* (id: number) {
      const rows = yield* sql<DeliveryRow>`SELECT * FROM deliveries WHERE id = ${id}`
      return Option.map(first(rows), fromRow)
    }, Effect.orDie)

    const findByProviderMessage = Effect.fn("DeliveryRepository.findByProviderMessage")(
      (key: DeliveryKey) => selectByKey(key, false),
      Effect.orDie
    )

    const acquire = Effect.fn("DeliveryRepository.acquire")(function* (input: NewDelivery) {
      const at = toDate(input.at)
      yield* sql`
        INSERT INTO deliveries (org_id, broadcast_id, contact_id, recipient, channel, status, provider,
          provider_message_id, sender_account_id, cost_value, cost_unit, ${sql(`${input.status}_at`)}, created_at, updated_at)
        VALUES (${input.orgId}, ${input.broadcastId}, ${input.contactId}, ${input.recipient}, ${input.channel},
          ${input.status}, ${input.provider}, ${input.providerMessageId}, ${input.senderAccountId},
          ${input.cost?.value ?? null}, ${input.cost?.unit ?? null}, ${input.reached ? at : null}, ${at}, ${at})
        ON CONFLICT (org_id, provider, provider_message_id, recipient) WHERE provider_message_id IS NOT NULL DO NOTHING`
      return Option.getOrThrow(yield* selectByKey(input, true))
    }, Effect.orDie)

    /** The row by id, locked for the rest of the transaction. */
    const lockById = Effect.fn("DeliveryRepository.lockById")(function* (id: number) {
      const rows = yield* sql<DeliveryRow>`SELECT * FROM deliveries WHERE id = ${id} FOR UPDATE`
      return Option.map(first(rows), fromRow)
    }, Effect.orDie)

    const saveState = Effect.fn("DeliveryRepository.saveState")(function* (id: number, state: DeliveryState, at: DateTime.Utc) {
      yield* sql`
        UPDATE deliveries SET
          status = ${state.status},
          error_reason = ${state.errorReason},
          decided_at = ${toDateOrNull(state.decidedAt)},
          decided_by = ${state.decidedBy},
          ${sql.csv(statusPrecedence.map((s) => sql`${sql(`${s}_at`)} = ${toDateOrNull(state.milestones[s])}`))},
          updated_at = ${toDate(at)}
        WHERE id = ${id}`
    }, Effect.orDie)

    /** True when the event is new; false when (provider, provider event id) was recorded before. */
    const appendEvent = Effect.fn("DeliveryRepository.appendEvent")(function* (deliveryId: number, event: NormalizedEvent) {
      const rows = yield* sql<{ id: number }>`
        INSERT INTO delivery_events (delivery_id, org_id, type, occurred_at, provider, provider_event_name, provider_event_id, details)
        VALUES (${deliveryId}, ${event.orgId}, ${event.type}, ${toDate(event.occurredAt)}, ${event.provider},
          ${event.providerEventName ?? null}, ${event.providerEventId}, ${JSON.stringify(event.details)}::jsonb)
        ON CONFLICT (provider, provider_event_id) DO NOTHING
        RETURNING id`
      return rows.length > 0
    }, Effect.orDie)

    const events = Effect.fn("DeliveryRepository.events")(function* (deliveryId: number) {
      const rows = yield* sql<EventRow>`SELECT * FROM delivery_events WHERE delivery_id = ${deliveryId} ORDER BY occurred_at, id`
      return rows.map(eventFromRow)
    }, Effect.orDie)

    /** Soft bounces to this address, over all its deliveries, since its last delivery (or ever). */
    const softBouncesSinceDelivery = Effect.fn("DeliveryRepository.softBouncesSinceDelivery")(
      function* (orgId: string, channel: Channel, recipient: string) {
        const rows = yield* sql<{ n: number }>`
          WITH mine AS (
            SELECT e.type, e.occurred_at, e.details FROM delivery_events e JOIN deliveries d ON d.id = e.delivery_id
            WHERE d.org_id = ${orgId} AND d.channel = ${channel} AND d.recipient = ${recipient})
          SELECT count(*) AS n FROM mine
          WHERE (type = 'soft_bounced' OR (type = 'bounced' AND details->>'bounceKind' = 'soft'))
            AND occurred_at > coalesce((SELECT max(occurred_at) FROM mine WHERE type = 'delivered'), '-infinity')`
        return rows[0]?.n ?? 0
      },
      Effect.orDie
    )

    /**
     * `acquire` for many rows at once, without locks: one INSERT … ON CONFLICT DO NOTHING for the new
     * keys, one SELECT for the rest. Rows go in as one jsonb parameter, so no batch meets the bind
     * parameter limit. Answers in input order; of inputs sharing a key the first decides.
     */
    const registerMany = Effect.fn("DeliveryRepository.registerMany")(function* (inputs: ReadonlyArray<NewDelivery>) {
      const firsts = new Map<string, NewDelivery>()
      for (const input of inputs) if (!firsts.has(deliveryKey(input))) firsts.set(deliveryKey(input), input)
      if (firsts.size === 0) return []
      const rows = [...firsts.values()].map((d) => ({
        org_id: d.orgId, broadcast_id: d.broadcastId, contact_id: d.contactId, recipient: d.recipient, channel: d.channel,
        status: d.status, provider: d.provider, provider_message_id: d.providerMessageId, sender_account_id: d.senderAccountId,
        cost_value: d.cost?.value ?? null, cost_unit: d.cost?.unit ?? null, at: DateTime.formatIso(d.at), reached: d.reached
      }))
      const inserted = yield* sql<DeliveryRow>`
        INSERT INTO deliveries (org_id, broadcast_id, contact_id, recipient, channel, status, provider, provider_message_id,
          sender_account_id, cost_value, cost_unit, ${sql.csv(statusPrecedence.map((s) => sql`${sql(`${s}_at`)}`))}, created_at, updated_at)
        SELECT u.org_id, u.broadcast_id, u.contact_id, u.recipient, u.channel, u.status, u.provider, u.provider_message_id,
          u.sender_account_id, u.cost_value, u.cost_unit,
          ${sql.csv(statusPrecedence.map((s) => sql`CASE WHEN u.reached AND u.status = ${s} THEN u.at END`))}, u.at, u.at
        FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS u(org_id text, broadcast_id text, contact_id text,
          recipient text, channel text, status text, provider text, provider_message_id text, sender_account_id text,
          cost_value numeric, cost_unit text, at timestamptz, reached boolean)
        -- Key order: two batches sharing keys then wait on each other instead of deadlocking.
        ORDER BY u.org_id, u.provider, u.provider_message_id, u.recipient
        ON CONFLICT (org_id, provider, provider_message_id, recipient) WHERE provider_message_id IS NOT NULL DO NOTHING
        RETURNING *`
      const found = new Map<string, Registered>(inserted.map((row) => [rowKey(row), { delivery: fromRow(row), created: true }]))
      const missing = rows.filter((r) => !found.has(rowKey(r)))
      if (missing.length > 0) {
        const existing = yield* sql<DeliveryRow>`
          SELECT d.* FROM deliveries d
          JOIN jsonb_to_recordset(${JSON.stringify(missing)}::jsonb) AS k(org_id text, provider text, provider_message_id text, recipient text)
            ON d.org_id = k.org_id AND d.provider = k.provider AND d.provider_message_id = k.provider_message_id AND d.recipient = k.recipient`
        for (const row of existing) found.set(rowKey(row), { delivery: fromRow(row), created: false })
      }
      const answered = new Set<string>()
      return inputs.map((input): Registered => {
        const key = deliveryKey(input)
        const registered = found.get(key)
        if (registered === undefined) throw new Error(`delivery ${key} was neither inserted nor found`)
        const created = registered.created && !answered.has(key)
        answered.add(key)
        return { delivery: registered.delivery, created }
      })
    }, Effect.orDie)

    /** Who the broadcast's deliveries in one of `statuses` went to: one entry per channel and recipient. */
    const recipientsWithStatus = Effect.fn("DeliveryRepository.recipientsWithStatus")(
      function* (orgId: string, broadcastId: string, statuses: ReadonlyArray<DeliveryStatus>) {
        if (statuses.length === 0) return []
        const rows = yield* sql<{ channel: Channel; recipient: string; contact_id: string | null }>`
          SELECT channel, recipient, min(contact_id) AS contact_id FROM deliveries
          WHERE broadcast_id = ${broadcastId} AND org_id = ${orgId} AND status = ANY(${[...new Set(statuses)]}::text[])
          GROUP BY channel, recipient
          ORDER BY channel, recipient`
        return rows.map((r): DeliveredRecipient => ({ channel: r.channel, recipient: r.recipient, contactId: r.contact_id }))
      },
      Effect.orDie
    )

    /** The newest delivery of a broadcast to one recipient on one channel (for rendering its mail). */
    const findForRecipient = Effect.fn("DeliveryRepository.findForRecipient")(
      function* (orgId: string, broadcastId: string, channel: Channel, recipient: string) {
        const rows = yield* sql<DeliveryRow>`
          SELECT * FROM deliveries
          WHERE broadcast_id = ${broadcastId} AND org_id = ${orgId} AND channel = ${channel}
            AND recipient = ${normalizeAddress(channel, recipient)}
          ORDER BY id DESC LIMIT 1`
        return Option.map(first(rows), fromRow)
      },
      Effect.orDie
    )

    return {
      findForRecipient,
      findById, findByProviderMessage, acquire, lockById, saveState, appendEvent, events, softBouncesSinceDelivery,
      registerMany, recipientsWithStatus
    } as const
  })
}) {}
