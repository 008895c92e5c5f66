import * as SqlClient from "@effect/sql/SqlClient"
import { DateTime, Effect, Schema } from "effect"
import type { Cost, Delivery, DeliveryStatus } from "../domain/Delivery.js"
import { statusPrecedence } from "../domain/Delivery.js"
import { Channel, normalizeAddress } from "../domain/Event.js"
import { contactOfRecipient } from "./ContactLinks.js"
import { column, DeliveryEventRow, DeliveryRow } from "./RowSchemas.js"
import { decodeFirst, decodeRows } from "./Rows.js"

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

/** One input of `registerMany`: its row, and whether this call created it. */
export interface Registered {
  readonly delivery: Delivery
  readonly created: boolean
}

/** A recipient of a broadcast's deliveries on one channel, with a contact id one of them carries. */
const DeliveredRecipient = Schema.Struct({ channel: Channel, recipient: Schema.String, contactId: column("contact_id", Schema.NullOr(Schema.String)) })
export type DeliveredRecipient = typeof DeliveredRecipient.Type

/** The unique key of a delivery row, as text. */
const deliveryKey = (key: Pick<Delivery, "orgId" | "provider" | "providerMessageId" | "recipient">): string =>
  JSON.stringify([key.orgId, key.provider, key.providerMessageId, key.recipient])
const rowKey = (row: { org_id: string; provider: string; provider_message_id: string; recipient: string }): string =>
  JSON.stringify([row.org_id, row.provider, row.provider_message_id, row.recipient])

const decodeDelivery = decodeFirst(DeliveryRow)
const decodeDeliveries = decodeRows(DeliveryRow)
const decodeEvents = decodeRows(DeliveryEventRow)
const decodeRecipients = decodeRows(DeliveredRecipient)
/** A row whose cost was just set, with what its cost is counted under. */
const CostedDelivery = Schema.Struct({
  id: Schema.Number, orgId: column("org_id", Schema.String), broadcastId: column("broadcast_id", Schema.NullOr(Schema.String)),
  channel: Channel, unit: Schema.String, value: Schema.String
})
const decodeCosted = decodeRows(CostedDelivery)

/**
 * Delivery rows and their event chronology, for the API and send-time registration; the pipeline
 * reads and writes them in sets (ProjectionStore).
 */
export class DeliveryRepository extends Effect.Service<DeliveryRepository>()("Sendtrail/DeliveryRepository", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const selectByKey = (key: DeliveryKey, lock: boolean) =>
      sql`
        SELECT * FROM deliveries
        WHERE org_id = ${key.orgId} AND provider = ${key.provider}
          AND provider_message_id = ${key.providerMessageId} AND recipient = ${key.recipient}
        ${lock ? sql`FOR UPDATE` : sql``}`.pipe(Effect.flatMap(decodeDelivery))

    const findById = Effect.fn("DeliveryRepository.findById")(function* (id: number) {
      return yield* decodeDelivery(yield* sql`SELECT * FROM deliveries WHERE id = ${id}`)
    }, Effect.orDie)

    const findByProviderMessage = Effect.fn("DeliveryRepository.findByProviderMessage")(
      (key: DeliveryKey) => selectByKey(key, false),
      Effect.orDie
    )

    const events = Effect.fn("DeliveryRepository.events")(function* (deliveryId: number) {
      return yield* decodeEvents(yield* sql`SELECT * FROM delivery_events WHERE delivery_id = ${deliveryId} ORDER BY occurred_at, id`)
    }, Effect.orDie)

    /**
     * Finds or creates many rows at once, without locks: one INSERT … ON CONFLICT DO NOTHING for the new
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
      const inserted = yield* sql`
        INSERT INTO deliveries (org_id, broadcast_id, contact_id, recipient, channel, status, provider, provider_message_id,
          sender_account_id, cost_value, cost_unit, ${sql.csv(statusPrecedence.map((s) => sql`${sql(`${s}_at`)}`))}, created_at, updated_at)
        SELECT u.org_id, u.broadcast_id, COALESCE(u.contact_id, ${contactOfRecipient(sql, "u")}), u.recipient, u.channel, u.status,
          u.provider, u.provider_message_id,
          u.sender_account_id, u.cost_value, u.cost_unit,
          ${sql.csv(statusPrecedence.map((s) => sql`CASE WHEN u.reached AND u.status = ${s} THEN u.at END`))}, u.at, u.at
        FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS u(org_id text, broadcast_id text, contact_id text,
          recipient text, channel text, status text, provider text, provider_message_id text, sender_account_id text,
          cost_value numeric, cost_unit text, at timestamptz, reached boolean)
        -- Key order: two batches sharing keys then wait on each other instead of deadlocking.
        ORDER BY u.org_id, u.provider, u.provider_message_id, u.recipient
        ON CONFLICT (org_id, provider, provider_message_id, recipient) WHERE provider_message_id IS NOT NULL DO NOTHING
        RETURNING *`.pipe(Effect.flatMap(decodeDeliveries))
      const found = new Map<string, Registered>(inserted.map((delivery) => [deliveryKey(delivery), { delivery, created: true }]))
      const missing = rows.filter((r) => !found.has(rowKey(r)))
      if (missing.length > 0) {
        const existing = yield* sql`
          SELECT d.* FROM deliveries d
          JOIN jsonb_to_recordset(${JSON.stringify(missing)}::jsonb) AS k(org_id text, provider text, provider_message_id text, recipient text)
            ON d.org_id = k.org_id AND d.provider = k.provider AND d.provider_message_id = k.provider_message_id AND d.recipient = k.recipient`
          .pipe(Effect.flatMap(decodeDeliveries))
        for (const delivery of existing) found.set(deliveryKey(delivery), { delivery, created: false })
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

    /**
     * Gives rows that have no cost the one named (the first cost given wins, docs/decisions.md), locking
     * them in id order; answers the rows it set, their value as exact decimal text.
     */
    const setMissingCosts = Effect.fn("DeliveryRepository.setMissingCosts")(function* (costs: ReadonlyArray<{ readonly id: number; readonly cost: Cost }>) {
      if (costs.length === 0) return []
      return yield* decodeCosted(yield* sql`
        UPDATE deliveries d SET cost_value = u.value, cost_unit = u.unit
        FROM (SELECT u.* FROM json_to_recordset(${JSON.stringify(costs.map((c) => ({ id: c.id, value: c.cost.value, unit: c.cost.unit })))}::json)
            AS u(id bigint, value numeric, unit text)
          JOIN deliveries x ON x.id = u.id AND x.cost_value IS NULL
          ORDER BY u.id FOR UPDATE OF x) u
        WHERE d.id = u.id AND d.cost_value IS NULL
        RETURNING d.id, d.org_id, d.broadcast_id, d.channel, d.cost_unit AS unit, d.cost_value::text AS value`)
    }, Effect.orDie)

    /** One row, found or created (a provider's event or a send registered before). */
    const acquire = (input: NewDelivery) => Effect.map(registerMany([input]), (registered) => registered[0]!.delivery)

    /** Who the broadcast's deliveries in one of `statuses` went to: one entry per channel and recipient. */
    const recipientsWithStatus = Effect.fn("DeliveryRepository.recipientsWithStatus")(
      function* (orgId: string, broadcastId: string, statuses: ReadonlyArray<DeliveryStatus>) {
        if (statuses.length === 0) return []
        return yield* decodeRecipients(yield* sql`
          SELECT channel, recipient, min(contact_id) AS contact_id FROM deliveries
          WHERE broadcast_id = ${broadcastId} AND org_id = ${orgId} AND status = ANY(${[...new Set(statuses)]}::text[])
          GROUP BY channel, recipient
          ORDER BY channel, recipient`)
      },
      Effect.orDie
    )

    /** The newest delivery of a broadcast to one recipient on one channel (for rendering its mail). */
    const findForRecipient = Effect.fn("DeliveryRepository.findForRecipient")(
      function* (orgId: string, broadcastId: string, channel: Channel, recipient: string) {
        return yield* decodeDelivery(yield* sql`
          SELECT * FROM deliveries
          WHERE broadcast_id = ${broadcastId} AND org_id = ${orgId} AND channel = ${channel}
            AND recipient = ${normalizeAddress(channel, recipient)}
          ORDER BY id DESC LIMIT 1`)
      },
      Effect.orDie
    )

    return {
      findForRecipient,
      findById, findByProviderMessage, acquire, events,
      registerMany, setMissingCosts, recipientsWithStatus
    } as const
  })
}) {}
