import * as SqlClient from "@effect/sql/SqlClient"
import { storable } from "../domain/JsonText.js"
import type { DateTime } from "effect"
import { Effect, Option, Schema } from "effect"
import { AckSql } from "./Database.js"
import { column, InboxEntryRow } from "./RowSchemas.js"
import { decodeRows, toDate } from "./Rows.js"

/** What the inbox stores of an event: its dedupe key and the encoded event itself. */
export interface InboxEvent {
  readonly orgId: string
  readonly provider: string
  readonly providerEventId: string
  /** The owner bucket of the event's contact key (KeyOwnership): which share of the pipeline claims it. */
  readonly bucket: number
  readonly event: unknown
  /** From a route that names no org: the pipeline finds whose it is before applying it. */
  readonly orgless: boolean
}

/** The oldest available rows of one share of the buckets (bucket mod shares = share), or exactly these rows. */
export type Claim =
  | { readonly limit: number; readonly share: number; readonly shares: number }
  | { readonly ids: ReadonlyArray<number> }

export const inboxKey = (provider: string, providerEventId: string) => `${provider}:${providerEventId}`

const decodeEntries = decodeRows(InboxEntryRow)
const decodeKeys = decodeRows(Schema.Struct({ provider: Schema.String, providerEventId: column("provider_event_id", Schema.String) }))
const decodeAttempts = decodeRows(Schema.Struct({ attempts: Schema.Number }))
const decodeBacklog = decodeRows(Schema.Struct({ pending: Schema.Number, oldest: Schema.NullOr(Schema.DateFromSelf) }))

/**
 * The durable inbox. `append` is one multi-row INSERT … ON CONFLICT DO NOTHING (one commit for a
 * whole group of requests); `claim` locks the oldest available rows with SKIP LOCKED inside the
 * transaction that applies them, so several workers and instances drain one inbox without taking the
 * same row, and a crash leaves nothing leased.
 */
export class InboxRepository extends Effect.Service<InboxRepository>()("Sendtrail/InboxRepository", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    // Appends go through the acks' own connections where the database layer has set them apart.
    const ackSql = Option.getOrElse(yield* Effect.serviceOption(AckSql), () => sql)

    /** Returns the keys (`inboxKey`) of the events that were new. */
    const append = Effect.fnUntraced(function* (events: ReadonlyArray<InboxEvent>, at: DateTime.Utc) {
      if (events.length === 0) return new Set<string>()
      const rows = yield* ackSql`
        INSERT INTO ingest_inbox (org_id, provider, provider_event_id, bucket, event, org_match, received_at, available_at)
        SELECT e->>'orgId', e->>'provider', e->>'providerEventId', (e->>'bucket')::int, e->'event',
          CASE WHEN (e->>'orgless')::boolean THEN 'pending' END, ${toDate(at)}, ${toDate(at)}
        FROM jsonb_array_elements(${JSON.stringify(events)}::jsonb) AS e
        ON CONFLICT (provider, provider_event_id) DO NOTHING
        RETURNING provider, provider_event_id`.pipe(Effect.flatMap(decodeKeys))
      return new Set(rows.map((r) => inboxKey(r.provider, r.providerEventId)))
    }, Effect.orDie)

    const claimShare = ({ limit, share, shares }: Extract<Claim, { limit: number }>, at: DateTime.Utc) => {
      const available = (table: string) => sql`${sql(table)}.processed_at IS NULL AND ${sql(table)}.available_at <= ${toDate(at)}
        AND ${sql(table)}.bucket % ${shares}::int = ${share}::int`
      // From the oldest available row of the share, within a window of ids: the planner then never
      // sorts the whole backlog, whatever its (often stale) estimate of the backlog's size.
      return sql`
        SELECT i.id, i.event, i.attempts, i.received_at, i.org_match
        FROM ingest_inbox i, (SELECT min(o.id) AS id FROM ingest_inbox o WHERE ${available("o")}) oldest
        WHERE i.id >= oldest.id AND i.id < oldest.id + ${limit * shares * 2} AND ${available("i")}
        ORDER BY i.id LIMIT ${limit}
        FOR UPDATE OF i SKIP LOCKED`.pipe(Effect.flatMap(decodeEntries))
    }

    /**
     * Locks the oldest available rows of one share of the buckets (or the given rows) for the calling
     * transaction: the row lock is the lease, released by commit, rollback or a crash, and rows another
     * transaction holds are skipped. Outside a transaction the lock ends with the statement.
     */
    const claim = Effect.fn("InboxRepository.claim")(function* (claim: Claim, at: DateTime.Utc) {
      return yield* ("ids" in claim
        ? sql`
          SELECT id, event, attempts, received_at, org_match FROM ingest_inbox
          WHERE id = ANY(${claim.ids}::bigint[]) AND processed_at IS NULL ORDER BY id FOR UPDATE SKIP LOCKED`.pipe(Effect.flatMap(decodeEntries))
        : claimShare(claim, at))
    }, Effect.orDie)

    const complete = Effect.fn("InboxRepository.complete")(function* (ids: ReadonlyArray<number>, at: DateTime.Utc) {
      if (ids.length === 0) return
      yield* sql`UPDATE ingest_inbox SET processed_at = ${toDate(at)} WHERE id = ANY(${ids}::bigint[]) AND processed_at IS NULL`
    }, Effect.orDie)

    /** Counts the failed attempt and leaves the row for a retry at `retryAt`; returns the attempts so far. */
    const fail = Effect.fn("InboxRepository.fail")(function* (id: number, error: string, retryAt: DateTime.Utc) {
      const rows = yield* sql`
        UPDATE ingest_inbox SET attempts = attempts + 1, last_error = ${storable(error)}, available_at = ${toDate(retryAt)}
        WHERE id = ${id} RETURNING attempts`.pipe(Effect.flatMap(decodeAttempts))
      return rows[0]?.attempts ?? 0
    }, Effect.orDie)

    /** Puts a row back in the queue with a fresh count of attempts (replaying a dead letter). */
    const requeue = Effect.fn("InboxRepository.requeue")(function* (id: number, at: DateTime.Utc) {
      const rows = yield* sql`
        UPDATE ingest_inbox SET processed_at = NULL, attempts = 0, last_error = NULL, available_at = ${toDate(at)}
        WHERE id = ${id} RETURNING id`
      return rows.length > 0
    }, Effect.orDie)

    const backlog = Effect.fn("InboxRepository.backlog")(function* () {
      const rows = yield* sql`
        SELECT count(*) AS pending, min(received_at) AS oldest FROM ingest_inbox WHERE processed_at IS NULL`.pipe(Effect.flatMap(decodeBacklog))
      return { pending: rows[0]?.pending ?? 0, oldest: rows[0]?.oldest ?? null }
    }, Effect.orDie)

    return { append, claim, complete, fail, requeue, backlog } as const
  })
}) {}
