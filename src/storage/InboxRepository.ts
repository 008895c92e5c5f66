import * as SqlClient from "@effect/sql/SqlClient"
import type { DateTime } from "effect"
import { Effect } from "effect"
import type { InboxEntry } from "../domain/Ingest.js"
import { toDate } from "./Rows.js"

/** What the inbox stores of an event: its dedupe key and the encoded event itself. */
export interface InboxEvent {
  readonly orgId: string
  readonly provider: string
  readonly providerEventId: string
  readonly event: unknown
}

export const inboxKey = (provider: string, providerEventId: string) => `${provider}:${providerEventId}`

interface EntryRow {
  readonly id: number
  readonly event: unknown
  readonly attempts: number
  readonly received_at: Date
}


/**
 * The durable inbox. `append` is one multi-row INSERT … ON CONFLICT DO NOTHING (one commit for a
 * whole group of requests); `claim` leases the oldest available rows with SKIP LOCKED, so several
 * instances can drain one inbox without taking the same row.
 */
export class InboxRepository extends Effect.Service<InboxRepository>()("Sendtrail/InboxRepository", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    /** Returns the keys (`inboxKey`) of the events that were new. */
    const append = Effect.fn("InboxRepository.append")(function* (events: ReadonlyArray<InboxEvent>, at: DateTime.Utc) {
      if (events.length === 0) return new Set<string>()
      const rows = yield* sql<{ provider: string; provider_event_id: string }>`
        INSERT INTO ingest_inbox (org_id, provider, provider_event_id, event, received_at, available_at)
        SELECT e->>'orgId', e->>'provider', e->>'providerEventId', e->'event', ${toDate(at)}, ${toDate(at)}
        FROM jsonb_array_elements(${JSON.stringify(events)}::jsonb) AS e
        ON CONFLICT (provider, provider_event_id) DO NOTHING
        RETURNING provider, provider_event_id`
      return new Set(rows.map((r) => inboxKey(r.provider, r.provider_event_id)))
    }, Effect.orDie)

    const claim = Effect.fn("InboxRepository.claim")(function* (limit: number, at: DateTime.Utc, leaseUntil: DateTime.Utc) {
      const rows = yield* sql<EntryRow>`
        UPDATE ingest_inbox SET available_at = ${toDate(leaseUntil)}
        WHERE id IN (
          SELECT id FROM ingest_inbox
          WHERE processed_at IS NULL AND available_at <= ${toDate(at)}
          ORDER BY id LIMIT ${limit}
          FOR UPDATE SKIP LOCKED)
        RETURNING id, event, attempts, received_at`
      return rows
        .map((r): InboxEntry => ({ id: r.id, event: r.event, attempts: r.attempts, receivedAt: r.received_at }))
        .sort((a, b) => a.id - b.id)
    }, Effect.orDie)

    const complete = Effect.fn("InboxRepository.complete")(function* (ids: ReadonlyArray<number>, at: DateTime.Utc) {
      if (ids.length === 0) return
      yield* sql`UPDATE ingest_inbox SET processed_at = ${toDate(at)} WHERE id IN ${sql.in(ids)} AND processed_at IS NULL`
    }, Effect.orDie)

    /** Counts the failed attempt and leaves the row for a retry at `retryAt`; returns the attempts so far. */
    const fail = Effect.fn("InboxRepository.fail")(function* (id: number, error: string, retryAt: DateTime.Utc) {
      const rows = yield* sql<{ attempts: number }>`
        UPDATE ingest_inbox SET attempts = attempts + 1, last_error = ${error}, available_at = ${toDate(retryAt)}
        WHERE id = ${id} RETURNING attempts`
      return rows[0]?.attempts ?? 0
    }, Effect.orDie)

    /** After a crash every lease is stale: make all unprocessed rows available again at once. */
    const releaseLeases = Effect.fn("InboxRepository.releaseLeases")(function* (at: DateTime.Utc) {
      yield* sql`UPDATE ingest_inbox SET available_at = ${toDate(at)} WHERE processed_at IS NULL AND available_at > ${toDate(at)}`
    }, Effect.orDie)

    /** Puts a row back in the queue with a fresh count of attempts (replaying a dead letter). */
    const requeue = Effect.fn("InboxRepository.requeue")(function* (id: number, at: DateTime.Utc) {
      const rows = yield* sql<{ id: number }>`
        UPDATE ingest_inbox SET processed_at = NULL, attempts = 0, last_error = NULL, available_at = ${toDate(at)}
        WHERE id = ${id} RETURNING id`
      return rows.length > 0
    }, Effect.orDie)

    const backlog = Effect.fn("InboxRepository.backlog")(function* () {
      const rows = yield* sql<{ pending: number; oldest: Date | null }>`
        SELECT count(*) AS pending, min(received_at) AS oldest FROM ingest_inbox WHERE processed_at IS NULL`
      return { pending: rows[0]?.pending ?? 0, oldest: rows[0]?.oldest ?? null }
    }, Effect.orDie)

    return { append, claim, complete, fail, releaseLeases, requeue, backlog } as const
  })
}) {}
