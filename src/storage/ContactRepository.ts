import { SqlClient } from "@effect/sql"
import type { Fragment } from "@effect/sql/Statement"
import { Effect, Option } from "effect"
import type { Channel } from "../domain/Event.js"
import { normalizeAddress } from "../domain/Event.js"
import type { Contact, PushToken } from "../domain/Records.js"
import { first, toDateTime } from "./Rows.js"

export interface EnsureContact {
  readonly orgId: string
  readonly channel: Channel
  readonly address: string
  /** The sender's own id for the contact, used when it names one in this org. */
  readonly contactId: string | null
}

/** The contacts column holding each channel's address; push addresses live in push_tokens. */
export const addressColumn = { email: "email", sms: "phone", whatsapp: "whatsapp" } as const

interface ContactRow {
  readonly id: string
  readonly org_id: string
  readonly email: string | null
  readonly phone: string | null
  readonly whatsapp: string | null
  readonly bounced_channels: ReadonlyArray<Channel>
  readonly opted_out: ReadonlyArray<string>
  readonly push_tokens: ReadonlyArray<PushToken>
  readonly created_at: Date
  readonly updated_at: Date
}

const fromRow = (row: ContactRow): Contact => ({
  id: row.id,
  orgId: row.org_id,
  email: row.email,
  phone: row.phone,
  whatsapp: row.whatsapp,
  bouncedChannels: row.bounced_channels,
  optedOut: row.opted_out,
  pushTokens: row.push_tokens,
  createdAt: toDateTime(row.created_at),
  updatedAt: toDateTime(row.updated_at)
})

/**
 * Contacts found or created by address. Addresses are stored normalized (emails lower-case), so the
 * unique indexes on (org, address) make concurrent `ensure` calls from several instances agree.
 */
export class ContactRepository extends Effect.Service<ContactRepository>()("Sendtrail/ContactRepository", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const select = (where: Fragment) =>
      sql<ContactRow>`
        SELECT c.*, COALESCE((
          SELECT jsonb_agg(jsonb_build_object('token', t.token, 'provider', t.provider, 'active', t.active)
            ORDER BY t.created_at, t.token)
          FROM push_tokens t WHERE t.contact_id = c.id), '[]'::jsonb) AS push_tokens
        FROM contacts c WHERE ${where}`.pipe(Effect.map((rows) => Option.map(first(rows), fromRow)))

    const byAddress = (orgId: string, channel: Channel, address: string) => {
      const normalized = normalizeAddress(channel, address)
      return select(channel === "push"
        ? sql`c.org_id = ${orgId} AND c.id = (SELECT contact_id FROM push_tokens WHERE org_id = ${orgId} AND token = ${normalized})`
        : sql`c.org_id = ${orgId} AND ${sql(addressColumn[channel])} = ${normalized}`)
    }

    // The token row is the lock: whoever links it first owns it, so no instance leaves an orphan contact.
    const claimToken = (orgId: string, token: string, contactId: string) =>
      sql.withTransaction(Effect.gen(function* () {
        yield* sql`INSERT INTO push_tokens (org_id, token, provider) VALUES (${orgId}, ${token}, 'unknown')
          ON CONFLICT (org_id, token) DO NOTHING`
        const rows = yield* sql<{ contact_id: string | null }>`
          SELECT contact_id FROM push_tokens WHERE org_id = ${orgId} AND token = ${token} FOR UPDATE`
        if (rows[0]?.contact_id != null) return
        yield* sql`INSERT INTO contacts (id, org_id) VALUES (${contactId}, ${orgId})`
        yield* sql`UPDATE push_tokens SET contact_id = ${contactId} WHERE org_id = ${orgId} AND token = ${token}`
      }))

    const findById = Effect.fn("ContactRepository.findById")(
      (id: string) => select(sql`c.id = ${id}`),
      Effect.orDie
    )

    const findByAddress = Effect.fn("ContactRepository.findByAddress")(byAddress, Effect.orDie)

    const ensure = Effect.fn("ContactRepository.ensure")(function* (input: EnsureContact) {
      if (input.contactId !== null) {
        const byId = yield* select(sql`c.id = ${input.contactId} AND c.org_id = ${input.orgId}`)
        if (Option.isSome(byId)) return byId.value
      }
      const existing = yield* byAddress(input.orgId, input.channel, input.address)
      if (Option.isSome(existing)) return existing.value
      const id = crypto.randomUUID()
      const address = normalizeAddress(input.channel, input.address)
      if (input.channel === "push") {
        yield* claimToken(input.orgId, address, id)
      } else {
        // No conflict target: any of the three partial unique indexes (org, address) may be the one hit.
        yield* sql`
          INSERT INTO contacts (id, org_id, ${sql(addressColumn[input.channel])}) VALUES (${id}, ${input.orgId}, ${address})
          ON CONFLICT DO NOTHING`
      }
      return Option.getOrThrow(yield* byAddress(input.orgId, input.channel, address))
    }, Effect.orDie)

    const markBounced = Effect.fn("ContactRepository.markBounced")(function* (contactId: string, channel: Channel) {
      yield* sql`
        UPDATE contacts SET bounced_channels = array_append(bounced_channels, ${channel}::text), updated_at = now()
        WHERE id = ${contactId} AND NOT (${channel}::text = ANY(bounced_channels))`
    }, Effect.orDie)

    /** Entries are a channel ("email") or a channel and category ("email:marketing"); see optOutEntry. */
    const optOut = Effect.fn("ContactRepository.optOut")(function* (contactId: string, entries: ReadonlyArray<string>) {
      yield* sql`
        UPDATE contacts SET updated_at = now(), opted_out = opted_out || ARRAY(
          SELECT e FROM unnest(${entries}::text[]) WITH ORDINALITY AS u(e, n)
          WHERE NOT (e = ANY(opted_out)) GROUP BY e ORDER BY min(n))
        WHERE id = ${contactId} AND NOT (opted_out @> ${entries}::text[])`
    }, Effect.orDie)

    const deactivatePushToken = Effect.fn("ContactRepository.deactivatePushToken")(
      function* (orgId: string, token: string, reason: string) {
        yield* sql`
          UPDATE push_tokens SET active = false, deactivated_at = now(), deactivated_reason = ${reason}
          WHERE org_id = ${orgId} AND token = ${normalizeAddress("push", token)} AND active`
      },
      Effect.orDie
    )

    return { findById, findByAddress, ensure, markBounced, optOut, deactivatePushToken } as const
  })
}) {}
