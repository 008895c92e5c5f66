import * as SqlClient from "@effect/sql/SqlClient"
import { Data, DateTime, Effect, Schema } from "effect"
import type { Category } from "../domain/Event.js"
import { ActivityRepository } from "../storage/ActivityRepository.js"
import { addressColumn } from "../storage/ContactRepository.js"
import * as Cursor from "../storage/Cursor.js"
import { column, NullableTimestamp, Timestamp } from "../storage/RowSchemas.js"
import { decodeRows, toDate } from "../storage/Rows.js"
import { Transactor } from "../storage/Transactor.js"
import * as Outbox from "../notifications/Outbox.js"

export class SunsetRefused extends Data.TaggedError("SunsetRefused")<{ readonly message: string }> {}

/** Streams a sunset may never touch: mail a recipient needs whatever they read. */
const protectedCategories: ReadonlySet<string> = new Set(["security", "transactional"])

export interface SunsetRequest {
  readonly channel: keyof typeof addressColumn
  readonly category: Category
  /** Contacts with no human open or click since this time (and created before it) are unengaged. */
  readonly cutoff: DateTime.Utc
}

const Candidate = Schema.Struct({
  contactId: column("contact_id", Schema.String),
  address: Schema.String,
  lastEngagedAt: column("last_engaged_at", NullableTimestamp)
})
const decodeCandidates = decodeRows(Candidate)
const decodeCount = decodeRows(Schema.Struct({ n: Schema.Number }))
const decodeInserted = decodeRows(Schema.Struct({ address: Schema.String, createdAt: column("created_at", Timestamp) }))

/** `now` less an ISO 8601 duration of years, months, weeks and days (`P1Y6M2W3D`, as api/Suppressions' UnengagedFor admits). */
export const cutoffOf = (now: DateTime.Utc, iso: string): DateTime.Utc => {
  const part = (unit: string) => Number(new RegExp(`(\\d+)${unit}`).exec(iso)?.[1] ?? 0)
  return DateTime.subtract(now, { years: part("Y"), months: part("M"), weeks: part("W"), days: part("D") })
}

/** A dry run's keyset: the last contact id of a page. */
export const sunsetCursor = Cursor.make(Schema.String)

/**
 * Sunset of unengaged contacts on a marketing-type stream: a dry run says how many and which; a run
 * suppresses them all (reason `sunset`, scoped to the stream) under one batch id, audited once, and is
 * reversed by that id. Contacts already suppressed on the channel (whole or for the stream) are left out.
 */
export class Sunset extends Effect.Service<Sunset>()("Sendtrail/Sunset", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const activities = yield* ActivityRepository
    const { transaction } = yield* Transactor

    const candidates = (orgId: string, request: SunsetRequest) => {
      const address = sql(`c.${addressColumn[request.channel]}`)
      return sql`
        SELECT c.id AS contact_id, ${address} AS address, e.last_engaged_at
        FROM contacts c
        LEFT JOIN contact_engagement e ON e.contact_id = c.id AND e.channel = ${request.channel}
        WHERE c.org_id = ${orgId} AND ${address} IS NOT NULL AND c.created_at < ${toDate(request.cutoff)}
          AND (e.last_engaged_at IS NULL OR e.last_engaged_at < ${toDate(request.cutoff)})
          AND NOT EXISTS (SELECT 1 FROM suppressions s WHERE s.org_id = c.org_id AND s.channel = ${request.channel}
            AND s.address = ${address} AND s.category IN ('', ${request.category}))`
    }

    const check = (request: SunsetRequest) =>
      protectedCategories.has(request.category)
        ? Effect.fail(new SunsetRefused({ message: `category: a sunset never touches ${[...protectedCategories].join(" or ")} mail; name a marketing-type stream` }))
        : Effect.void

    const dryRun = Effect.fn("Sunset.dryRun")(function* (orgId: string, request: SunsetRequest, after: string | undefined, limit: number) {
      yield* check(request)
      const [counted] = yield* sql`SELECT count(*)::int AS n FROM (${candidates(orgId, request)}) k`.pipe(Effect.flatMap(decodeCount), Effect.orDie)
      const page = yield* sql`SELECT * FROM (${candidates(orgId, request)}) k
        ${after === undefined ? sql`` : sql`WHERE contact_id > ${after}`} ORDER BY contact_id LIMIT ${limit + 1}`.pipe(Effect.flatMap(decodeCandidates), Effect.orDie)
      const items = page.slice(0, limit)
      return { count: counted?.n ?? 0, items, nextCursor: page.length > limit ? sunsetCursor.encode(items[items.length - 1]!.contactId) : null }
    })

    const run = Effect.fn("Sunset.run")(function* (orgId: string, actor: string, request: SunsetRequest) {
      yield* check(request)
      const batchId = `sunset_${crypto.randomUUID()}`
      return yield* transaction(Effect.gen(function* () {
        const inserted = yield* sql`
          INSERT INTO suppressions (org_id, channel, address, category, reason, source, metadata)
          SELECT ${orgId}, ${request.channel}, address, ${request.category}, 'sunset', ${`sunset:${batchId}`},
            jsonb_build_object('batchId', ${batchId}::text, 'lastEngagedAt', last_engaged_at, 'cutoff', ${DateTime.formatIso(request.cutoff)}::text)
          FROM (${candidates(orgId, request)}) k
          ON CONFLICT (org_id, channel, address, category) DO NOTHING
          RETURNING address, created_at`.pipe(Effect.flatMap(decodeInserted), Effect.orDie)
        // contact.suppressed for each, in this transaction: one statement for the whole run.
        yield* Outbox.enqueue(sql, [orgId], (wants) => wants(orgId, "contact.suppressed") ? inserted.map((row) => Outbox.fromSuppression({
          orgId, channel: request.channel, address: row.address, category: request.category, reason: "sunset",
          source: `sunset:${batchId}`, sourceKey: `suppressed:${batchId}:${row.address}`, occurredAt: row.createdAt
        })) : [])
        yield* activities.audit({
          orgId, actor, action: "suppression.sunset", subject: `batch:${batchId}`,
          details: { channel: request.channel, category: request.category, cutoff: DateTime.formatIso(request.cutoff), suppressed: inserted.length },
          sourceKey: null
        })
        return { batchId, suppressed: inserted.length }
      }))
    })

    const reverse = Effect.fn("Sunset.reverse")(function* (orgId: string, actor: string, batchId: string) {
      return yield* transaction(Effect.gen(function* () {
        const removed = yield* sql`DELETE FROM suppressions WHERE org_id = ${orgId} AND source = ${`sunset:${batchId}`} RETURNING 1`.pipe(Effect.orDie)
        if (removed.length > 0) {
          yield* activities.audit({ orgId, actor, action: "suppression.sunset_reversed", subject: `batch:${batchId}`, details: { removed: removed.length }, sourceKey: null })
        }
        return { removed: removed.length }
      }))
    })

    return { dryRun, run, reverse, check } as const
  })
}) {}
