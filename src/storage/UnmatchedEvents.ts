import * as SqlClient from "@effect/sql/SqlClient"
import { DateTime, Effect, Schema } from "effect"
import type { UnmatchedEvent, UnmatchedReason } from "../domain/OrgMatch.js"
import { UnmatchedEvent as UnmatchedEventSchema } from "../domain/OrgMatch.js"
import * as Cursor from "./Cursor.js"
import { column, Timestamp } from "./RowSchemas.js"
import { decodeRows, toDate } from "./Rows.js"

export interface UnmatchedFilter {
  readonly provider: string | undefined
  readonly reason: UnmatchedReason | undefined
  /** Received at or after it. */
  readonly from: DateTime.Utc | undefined
  /** Received before it. */
  readonly to: DateTime.Utc | undefined
}

/** Newest first by receipt: the last row's time and id, for one filter. */
export const unmatchedCursor = Cursor.scoped("unmatched", Cursor.timeKey(Schema.Int))
export type UnmatchedCursor = typeof unmatchedCursor.Param.Type

const scope = (filter: UnmatchedFilter) =>
  [filter.provider ?? null, filter.reason ?? null, filter.from === undefined ? null : DateTime.formatIso(filter.from),
    filter.to === undefined ? null : DateTime.formatIso(filter.to)]

const { id, reason, provider, recipient, channel, type } = UnmatchedEventSchema.fields
const decodePage = decodeRows(Schema.Struct({
  id, reason, provider, recipient, channel, type,
  candidateOrgs: column("candidate_orgs", Schema.Array(Schema.String)),
  orgId: column("org_id", Schema.String),
  providerEventId: column("provider_event_id", Schema.String),
  providerMessageId: column("provider_message_id", Schema.String),
  occurredAt: column("occurred_at", Timestamp),
  receivedAt: column("received_at", Timestamp),
  micros: Schema.String
}))

/**
 * The inbox rows of events from org-less routes that stayed the default org's (OrgMatching), read for
 * operators: newest first, keyset on (received_at, id) over the partial index of migration 0011.
 */
export class UnmatchedEvents extends Effect.Service<UnmatchedEvents>()("Sendtrail/UnmatchedEvents", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const keyset = Cursor.newestFirst(sql, "received_at", "id")
    const page = Effect.fn("UnmatchedEvents.page")(function* (filter: UnmatchedFilter, given: UnmatchedCursor | undefined, limit: number) {
      const before = yield* unmatchedCursor.keyIn(scope(filter), given)
      const rows = yield* sql`
        SELECT id, org_id, org_match AS reason, COALESCE(org_candidates, '{}') AS candidate_orgs, received_at,
          provider, provider_event_id, event->>'providerMessageId' AS provider_message_id, event->>'recipient' AS recipient,
          event->>'channel' AS channel, event->>'type' AS type, (event->>'occurredAt')::timestamptz AS occurred_at,
          ${keyset.key}
        FROM ingest_inbox
        WHERE org_match IN ('no-delivery', 'ambiguous')
          ${filter.reason === undefined ? sql`` : sql`AND org_match = ${filter.reason}`}
          ${filter.provider === undefined ? sql`` : sql`AND provider = ${filter.provider}`}
          ${filter.from === undefined ? sql`` : sql`AND received_at >= ${toDate(filter.from)}`}
          ${filter.to === undefined ? sql`` : sql`AND received_at < ${toDate(filter.to)}`}
          ${keyset.after(before)}
        ${keyset.order} LIMIT ${limit + 1}`.pipe(Effect.flatMap(decodePage), Effect.orDie)
      const { items, next } = Cursor.cut(rows, limit)
      return {
        items: items.map(({ micros: _, ...event }): UnmatchedEvent => event),
        nextCursor: next === undefined ? null : unmatchedCursor.encode(scope(filter), next)
      }
    })

    return { page } as const
  })
}) {}
