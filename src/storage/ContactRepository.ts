import * as SqlClient from "@effect/sql/SqlClient"
import type { Fragment } from "@effect/sql/Statement"
import { Effect, Option, Schema } from "effect"
import type { ContactAddresses } from "../domain/AddressEffects.js"
import { Channel, channels, normalizeAddress } from "../domain/Event.js"
import type { Address } from "../domain/Projection.js"
import { contactKey } from "../domain/Projection.js"
import { linkDeliveriesTo } from "./ContactLinks.js"
import { ContactRow, column } from "./RowSchemas.js"
import { decodeFirst, decodeRows } from "./Rows.js"

export interface EnsureContact {
  readonly orgId: string
  readonly channel: Channel
  readonly address: string
  /** The sender's own id for the contact, used when it names one in this org. */
  readonly contactId: string | null
}

/** A contact to create as given: addresses already validated; nothing about an existing contact is changed. */
export interface NewContact {
  readonly email: string | null
  readonly phone: string | null
  readonly whatsapp: string | null
  readonly attributes: Record<string, unknown>
}

/** Addresses to look up at once, per column. */
export interface AddressLookup {
  readonly email: ReadonlyArray<string>
  readonly phone: ReadonlyArray<string>
  readonly whatsapp: ReadonlyArray<string>
}

export type { ContactAddresses }

/** The contacts column holding each channel's address; push addresses live in push_tokens. */
export const addressColumn = { email: "email", sms: "phone", whatsapp: "whatsapp", telegram: "telegram", in_app: "in_app" } as const

const decodeContact = decodeFirst(ContactRow)
const decodeTokenOwner = decodeFirst(Schema.Struct({ contactId: column("contact_id", Schema.NullOr(Schema.String)) }))
const address = Schema.NullOr(Schema.String)
const Addresses = Schema.Struct({ id: Schema.String, email: address, phone: address, whatsapp: address, telegram: address, inApp: column("in_app", address) })
const decodeAddresses = decodeRows(Addresses)
const decodeOrgAddresses = decodeRows(Schema.Struct({ ...Addresses.fields, orgId: column("org_id", Schema.String) }))
const decodeFoundAddresses = decodeRows(Schema.Struct({ ...Addresses.fields, orgId: column("org_id", Schema.String), channel: Channel, address: Schema.String }))
const decodeIds = decodeRows(Schema.Struct({ id: Schema.String }))
const decodeAttributes = decodeFirst(Schema.Struct({ attributes: Schema.Record({ key: Schema.String, value: Schema.Unknown }) }))
/** Kept in their columns' names: they go straight back into the statement that links them. */
const decodeOrphans = decodeRows(Schema.Struct({ org_id: Schema.String, token: Schema.String, id: Schema.String }))

/** The columns a ContactRow decodes, of `contacts c`: its own and its push tokens. */
export const contactColumns = (sql: SqlClient.SqlClient) => sql`
  c.*, COALESCE((
    SELECT jsonb_agg(jsonb_build_object('token', t.token, 'provider', t.provider, 'active', t.active)
      ORDER BY t.created_at, t.token)
    FROM push_tokens t WHERE t.contact_id = c.id), '[]'::jsonb) AS push_tokens`

/**
 * Contacts found or created by address. Addresses are stored normalized (emails lower-case), so the
 * unique indexes on (org, address) make concurrent `ensure` calls from several instances agree.
 */
export class ContactRepository extends Effect.Service<ContactRepository>()("Sendtrail/ContactRepository", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const select = (where: Fragment) =>
      sql`SELECT ${contactColumns(sql)} FROM contacts c WHERE ${where}`.pipe(Effect.flatMap(decodeContact))

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
        const owner = yield* sql`
          SELECT contact_id FROM push_tokens WHERE org_id = ${orgId} AND token = ${token} FOR UPDATE`.pipe(Effect.flatMap(decodeTokenOwner))
        if (Option.isSome(owner) && owner.value.contactId !== null) return
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
        // No conflict target: any of the partial unique indexes (org, address) may be the one hit.
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

    /** The org's contacts holding any of the addresses, in one query. */
    const findByAddresses = Effect.fn("ContactRepository.findByAddresses")(function* (orgId: string, lookup: AddressLookup) {
      const email = lookup.email.map((address) => normalizeAddress("email", address))
      const phone = lookup.phone.map((address) => normalizeAddress("sms", address))
      const whatsapp = lookup.whatsapp.map((address) => normalizeAddress("whatsapp", address))
      if (email.length + phone.length + whatsapp.length === 0) return []
      return yield* decodeAddresses(yield* sql`
        SELECT id, email, phone, whatsapp, telegram, in_app FROM contacts
        WHERE org_id = ${orgId}
          AND (email = ANY(${email}::text[]) OR phone = ANY(${phone}::text[]) OR whatsapp = ANY(${whatsapp}::text[]))`)
    }, Effect.orDie)

    /**
     * Creates the contacts in one statement; the answer is each one's new id, in order, or null when
     * one of its addresses already belongs to a contact (an earlier one of the same call included).
     */
    const createMany = Effect.fn("ContactRepository.createMany")(function* (orgId: string, contacts: ReadonlyArray<NewContact>) {
      const ids: ReadonlyArray<string> = contacts.map(() => crypto.randomUUID())
      if (contacts.length === 0) return []
      const column = (pick: (c: NewContact) => string | null, channel: Channel) =>
        contacts.map((c) => { const address = pick(c); return address === null ? null : normalizeAddress(channel, address) })
      // No conflict target: any of the partial unique indexes (org, address) may be the one hit.
      const rows = yield* sql`
        WITH made AS (
          INSERT INTO contacts (id, org_id, email, phone, whatsapp, attributes)
          SELECT u.id, ${orgId}, u.email, u.phone, u.whatsapp, u.attributes::jsonb
          FROM unnest(${ids}::text[], ${column((c) => c.email, "email")}::text[], ${column((c) => c.phone, "sms")}::text[],
            ${column((c) => c.whatsapp, "whatsapp")}::text[], ${contacts.map((c) => JSON.stringify(c.attributes))}::text[])
            WITH ORDINALITY AS u(id, email, phone, whatsapp, attributes, n)
          ORDER BY u.n
          ON CONFLICT DO NOTHING
          RETURNING id, org_id, email, phone, whatsapp, telegram, in_app),
        linked AS (${linkDeliveriesTo(sql, "made")})
        SELECT id FROM made`.pipe(Effect.flatMap(decodeIds))
      const created = new Set(rows.map((row) => row.id))
      return ids.map((id): string | null => created.has(id) ? id : null)
    }, Effect.orDie)

    /** The free-form attributes kept beside a contact's addresses (an import's name and extra columns). */
    const attributesOf = Effect.fn("ContactRepository.attributesOf")(function* (id: string) {
      const row = yield* decodeAttributes(yield* sql`SELECT attributes FROM contacts WHERE id = ${id}`)
      return Option.map(row, (r) => r.attributes)
    }, Effect.orDie)

    /** The contacts of many (org, channel, address) at once, each as `ensure` finds or creates it: a few statements in all. */
    const ensureMany = Effect.fn("ContactRepository.ensureMany")(function* (wanted: ReadonlyArray<Address>) {
      const found = new Map<string, ContactAddresses>()
      const keyOf = (a: Pick<Address, "orgId" | "channel" | "address">) => contactKey({ orgId: a.orgId, channel: a.channel, recipient: a.address })
      const hints = [...new Set(wanted.flatMap((a) => a.contactHint ?? []))]
      if (hints.length > 0) {
        const rows = yield* decodeOrgAddresses(yield* sql`
          SELECT id, org_id, email, phone, whatsapp, telegram, in_app FROM contacts WHERE id = ANY(${hints}::text[])`)
        const byId = new Map(rows.map((r) => [r.id, r]))
        for (const a of wanted) {
          const hinted = a.contactHint === null ? undefined : byId.get(a.contactHint)
          if (hinted !== undefined && hinted.orgId === a.orgId && !found.has(keyOf(a))) found.set(keyOf(a), hinted)
        }
      }
      const byAddress = (missing: ReadonlyArray<Address>) =>
        Effect.gen(function* () {
          if (missing.length === 0) return
          const keys = JSON.stringify(missing.map((a) => ({ org_id: a.orgId, channel: a.channel, address: a.address })))
          const on = (channel: Channel) => channel === "push"
            ? sql`JOIN push_tokens t ON t.org_id = k.org_id AND t.token = k.address JOIN contacts c ON c.id = t.contact_id WHERE k.channel = 'push'`
            : sql`JOIN contacts c ON c.org_id = k.org_id AND c.${sql(addressColumn[channel])} = k.address WHERE k.channel = ${channel}`
          const rows = yield* decodeFoundAddresses(yield* sql`
            WITH k AS (SELECT DISTINCT * FROM json_to_recordset(${keys}::json) AS k(org_id text, channel text, address text))
            ${sql.join(" UNION ALL ", false)(channels.map((channel) =>
              sql`SELECT k.org_id, k.channel, k.address, c.id, c.email, c.phone, c.whatsapp, c.telegram, c.in_app FROM k ${on(channel)}`))}`)
          for (const row of rows) found.set(keyOf(row), row)
        })
      const unfound = () => [...new Map(wanted.filter((a) => !found.has(keyOf(a))).map((a) => [keyOf(a), a])).values()]
      yield* byAddress(unfound())
      const missing = unfound()
      const push = missing.filter((a) => a.channel === "push").map((a) => ({ org_id: a.orgId, token: a.address, id: crypto.randomUUID() }))
      const others = missing.filter((a) => a.channel !== "push")
      if (others.length > 0) {
        const column = (channel: Channel) => others.map((a) => (a.channel === channel ? a.address : null))
        // No conflict target: any of the partial unique indexes (org, address) may be the one hit.
        yield* sql`
          WITH made AS (
            INSERT INTO contacts (id, org_id, email, phone, whatsapp, telegram, in_app)
            SELECT u.id, u.org_id, u.email, u.phone, u.whatsapp, u.telegram, u.in_app
            FROM unnest(${others.map(() => crypto.randomUUID())}::text[], ${others.map((a) => a.orgId)}::text[], ${column("email")}::text[],
              ${column("sms")}::text[], ${column("whatsapp")}::text[], ${column("telegram")}::text[], ${column("in_app")}::text[])
              AS u(id, org_id, email, phone, whatsapp, telegram, in_app)
            ORDER BY u.org_id, u.email, u.phone, u.whatsapp, u.telegram, u.in_app
            ON CONFLICT DO NOTHING
            RETURNING id, org_id, email, phone, whatsapp, telegram, in_app)
          ${linkDeliveriesTo(sql, "made")}`
      }
      if (push.length > 0) {
        // The token row is the lock: whoever links it first owns it, so no instance leaves an orphan contact.
        const tokens = JSON.stringify(push)
        yield* sql`INSERT INTO push_tokens (org_id, token, provider)
          SELECT org_id, token, 'unknown' FROM json_to_recordset(${tokens}::json) AS k(org_id text, token text) ORDER BY 1, 2
          ON CONFLICT (org_id, token) DO NOTHING`
        const orphans = yield* decodeOrphans(yield* sql`
          SELECT t.org_id, t.token, k.id FROM push_tokens t
          JOIN json_to_recordset(${tokens}::json) AS k(org_id text, token text, id text) ON t.org_id = k.org_id AND t.token = k.token
          WHERE t.contact_id IS NULL ORDER BY 1, 2 FOR UPDATE OF t`)
        if (orphans.length > 0) {
          const made = JSON.stringify(orphans)
          yield* sql`INSERT INTO contacts (id, org_id) SELECT id, org_id FROM json_to_recordset(${made}::json) AS k(id text, org_id text)`
          yield* sql`
            WITH linked AS (
              UPDATE push_tokens t SET contact_id = k.id
              FROM json_to_recordset(${made}::json) AS k(org_id text, token text, id text) WHERE t.org_id = k.org_id AND t.token = k.token
              RETURNING t.org_id, t.token, t.contact_id)
            UPDATE deliveries d SET contact_id = l.contact_id FROM linked l
            WHERE d.org_id = l.org_id AND d.channel = 'push' AND d.recipient = l.token AND d.contact_id IS NULL`
        }
      }
      yield* byAddress(missing)
      const lost = unfound()[0]
      if (lost !== undefined) return yield* Effect.dieMessage(`no contact for a ${lost.channel} address of org ${lost.orgId}`)
      return found
    }, Effect.orDie)

    return {
      ensureMany,
      findById, findByAddress, findByAddresses, ensure, createMany, attributesOf, markBounced, optOut, deactivatePushToken
    } as const
  })
}) {}
