import * as SqlClient from "@effect/sql/SqlClient"
import { DateTime, Effect, Option, Schema } from "effect"
import type { Channel } from "../domain/Event.js"
import type { Contact } from "../domain/Records.js"
import { LastEngaged } from "../domain/Records.js"
import { contactColumns } from "../storage/ContactRepository.js"
import * as Cursor from "../storage/Cursor.js"
import { column, ContactRow } from "../storage/RowSchemas.js"
import { decodeFirst, decodeRows, toDate } from "../storage/Rows.js"

/** Bounced on any channel (`true`), on none (`false`), or on one channel. */
export type BouncedFilter = "true" | "false" | Channel

export interface ContactFilter {
  /** Normalized as an import stores it (lower case). */
  readonly email: string | undefined
  /** E.164, as an import stores it. */
  readonly phone: string | undefined
  /** Text found in an address or the `name` attribute, whatever its case. */
  readonly q: string | undefined
  readonly bounced: BouncedFilter | undefined
  /** Opted out of the channel, or of one of its categories. */
  readonly optedOut: Channel | undefined
  /** Whether any of its addresses (push tokens included) is on the suppression list. */
  readonly suppressed: boolean | undefined
  /** Engaged (a human open or click) on some channel, last before this time on every channel. */
  readonly lastEngagedBefore: DateTime.Utc | undefined
}

export type ContactListItem = Omit<Contact, "orgId"> & { readonly attributes: Record<string, unknown>; readonly lastEngagedAt: LastEngaged }

/** The listing's keyset, newest first: the last contact's creation time and id, for one org and filter. */
export const contactCursor = Cursor.scoped("contacts", Cursor.timeKey(Schema.String))
export type ContactCursor = typeof contactCursor.Param.Type

const scope = (orgId: string, f: ContactFilter) =>
  [orgId, f.email ?? null, f.phone ?? null, f.q ?? null, f.bounced ?? null, f.optedOut ?? null, f.suppressed ?? null,
    f.lastEngagedBefore === undefined ? null : DateTime.formatIso(f.lastEngagedBefore)]

const LastEngagedColumn = column("last_engaged", LastEngaged)

const decodePage = decodeRows(Schema.Struct({
  ...ContactRow.fields,
  attributes: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  lastEngagedAt: LastEngagedColumn,
  micros: Schema.String
}))
const decodeLastEngaged = decodeFirst(Schema.Struct({ lastEngagedAt: LastEngagedColumn }))

/**
 * The org's contacts as the org reads them: newest first, keyset on (created_at, id) over index
 * contacts_page (migration 0008); a lookup by email or phone goes through the address's unique index.
 * Read-only SQL.
 */
export class ContactList extends Effect.Service<ContactList>()("Sendtrail/ContactList", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const suppressedWhere = sql`(
      EXISTS (SELECT 1 FROM suppressions s WHERE s.org_id = c.org_id AND s.channel = 'email' AND s.address = c.email)
      OR EXISTS (SELECT 1 FROM suppressions s WHERE s.org_id = c.org_id AND s.channel = 'sms' AND s.address = c.phone)
      OR EXISTS (SELECT 1 FROM suppressions s WHERE s.org_id = c.org_id AND s.channel = 'whatsapp' AND s.address = c.whatsapp)
      OR EXISTS (SELECT 1 FROM suppressions s WHERE s.org_id = c.org_id AND s.channel = 'telegram' AND s.address = c.telegram)
      OR EXISTS (SELECT 1 FROM suppressions s WHERE s.org_id = c.org_id AND s.channel = 'in_app' AND s.address = c.in_app)
      OR EXISTS (SELECT 1 FROM push_tokens t JOIN suppressions s ON s.org_id = t.org_id AND s.channel = 'push' AND s.address = t.token
        WHERE t.contact_id = c.id))`

    /** Per channel, the last human open or click (contact_engagement, migration 0008). */
    const lastEngaged = sql`COALESCE((SELECT jsonb_object_agg(e.channel, e.last_engaged_at) FROM contact_engagement e
      WHERE e.contact_id = c.id), '{}'::jsonb) AS last_engaged`

    const where = (f: ContactFilter) => {
      const text = f.q?.toLowerCase()
      return sql.and([
        ...(f.email === undefined ? [] : [sql`c.email = ${f.email}`]),
        ...(f.phone === undefined ? [] : [sql`c.phone = ${f.phone}`]),
        ...(text === undefined ? [] : [sql`(strpos(c.email, ${text}) > 0 OR strpos(c.phone, ${text}) > 0 OR strpos(c.whatsapp, ${text}) > 0
          OR strpos(lower(c.attributes->>'name'), ${text}) > 0)`]),
        ...(f.bounced === undefined ? [] : [f.bounced === "true" ? sql`cardinality(c.bounced_channels) > 0`
          : f.bounced === "false" ? sql`cardinality(c.bounced_channels) = 0` : sql`${f.bounced}::text = ANY(c.bounced_channels)`]),
        ...(f.optedOut === undefined ? [] : [sql`EXISTS (SELECT 1 FROM unnest(c.opted_out) e WHERE e = ${f.optedOut} OR e LIKE ${`${f.optedOut}:%`})`]),
        ...(f.suppressed === undefined ? [] : [f.suppressed ? suppressedWhere : sql`NOT ${suppressedWhere}`]),
        ...(f.lastEngagedBefore === undefined ? [] : [sql`(SELECT max(e.last_engaged_at) FROM contact_engagement e WHERE e.contact_id = c.id) < ${toDate(f.lastEngagedBefore)}`])
      ])
    }

    const keyset = Cursor.newestFirst(sql, "c.created_at", "c.id")
    const page = Effect.fn("ContactList.page")(function* (orgId: string, filter: ContactFilter, given: ContactCursor | undefined, limit: number) {
      const before = yield* contactCursor.keyIn(scope(orgId, filter), given)
      const rows = yield* sql`
        SELECT ${contactColumns(sql)}, ${lastEngaged}, ${keyset.key} FROM contacts c
        WHERE c.org_id = ${orgId} AND ${where(filter)} ${keyset.after(before)}
        ${keyset.order} LIMIT ${limit + 1}`.pipe(Effect.flatMap(decodePage), Effect.orDie)
      const { items, next } = Cursor.cut(rows, limit)
      return {
        items: items.map(({ micros: _, orgId: __, ...contact }): ContactListItem => contact),
        nextCursor: next === undefined ? null : contactCursor.encode(scope(orgId, filter), next)
      }
    })

    /** A contact's last human open or click per channel. */
    const lastEngagedAt = Effect.fn("ContactList.lastEngagedAt")(function* (contactId: string) {
      const row = yield* decodeLastEngaged(yield* sql`SELECT ${lastEngaged} FROM contacts c WHERE c.id = ${contactId}`)
      return Option.match(row, { onNone: (): LastEngaged => ({}), onSome: (r) => r.lastEngagedAt })
    }, Effect.orDie)

    return { page, lastEngagedAt } as const
  })
}) {}
