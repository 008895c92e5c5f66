import * as SqlClient from "@effect/sql/SqlClient"
import type { DateTime } from "effect"
import * as SqlSchema from "@effect/sql/SqlSchema"
import { Effect, Option, Schema } from "effect"
import { Channel } from "../domain/Event.js"
import type { Broadcast } from "../domain/Records.js"
import { Counters, rollupCounters } from "../domain/Rollup.js"
import { BroadcastRecipientRow, BroadcastRow, column } from "./RowSchemas.js"
import * as Cursor from "./Cursor.js"
import { decodeFirst, decodeRows, toDate } from "./Rows.js"

/** A broadcast with where it was retried from and the size of its list. */
export interface BroadcastSummary {
  readonly broadcast: Broadcast
  readonly retryOf: string | null
  /** Recipients still on the list. */
  readonly recipients: number
  /** Recipients taken off it (unsubscribed). */
  readonly removed: number
}

const Recipient = Schema.Struct({ channel: Channel, address: Schema.String, contactId: column("contact_id", Schema.NullOr(Schema.String)) })
export type Recipient = typeof Recipient.Type
const decodeRecipients = decodeRows(Recipient)
const decodeSummary = decodeFirst(Schema.Struct({
  ...BroadcastRow.fields,
  retryOf: column("retry_of", Schema.NullOr(Schema.String)),
  listed: Schema.Number,
  removed: Schema.Number
}))

/** Which of a list's recipients: those on it, or those taken off it. */
export interface RecipientFilter {
  readonly channel: Channel | undefined
  readonly removed: boolean | undefined
}

const decodeListed = decodeRows(Schema.Struct({
  ...BroadcastRow.fields,
  retryOf: column("retry_of", Schema.NullOr(Schema.String)),
  micros: Schema.String,
  counters: Schema.NullOr(Counters)
}))
const decodeRecipientRows = decodeRows(BroadcastRecipientRow)

/** Broadcasts and their recipient lists; a removed recipient stays listed with why and when. */
export class BroadcastRepository extends Effect.Service<BroadcastRepository>()("Sendtrail/BroadcastRepository", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const create = Effect.fn("BroadcastRepository.create")(function* (broadcast: Broadcast) {
      yield* sql`
        INSERT INTO broadcasts (id, org_id, name, category, channels, created_at)
        VALUES (${broadcast.id}, ${broadcast.orgId}, ${broadcast.name}, ${broadcast.category},
          ${broadcast.channels}, ${toDate(broadcast.createdAt)})
        ON CONFLICT (id) DO NOTHING`
    }, Effect.orDie)

    const findById = Effect.fn("BroadcastRepository.findById")(SqlSchema.findOne({
      Request: Schema.String,
      Result: BroadcastRow,
      execute: (id) => sql`SELECT * FROM broadcasts WHERE id = ${id}`
    }), Effect.orDie)

    const addRecipients = Effect.fn("BroadcastRepository.addRecipients")(function* (broadcastId: string, recipients: ReadonlyArray<Recipient>) {
      if (recipients.length === 0) return
      yield* sql`
        INSERT INTO broadcast_recipients ${sql.insert(recipients.map((r) => ({
          broadcast_id: broadcastId,
          channel: r.channel,
          address: r.address,
          contact_id: r.contactId
        })))}
        ON CONFLICT (broadcast_id, channel, address) DO NOTHING`
    }, Effect.orDie)

    /** Recipients still on the list. */
    const recipients = Effect.fn("BroadcastRepository.recipients")(function* (broadcastId: string) {
      return yield* decodeRecipients(yield* sql`
        SELECT channel, address, contact_id FROM broadcast_recipients
        WHERE broadcast_id = ${broadcastId} AND removed_at IS NULL ORDER BY channel, address`)
    }, Effect.orDie)

    /** True for the call that removed it; the first removal's reason and time stay. */
    const removeRecipient = Effect.fn("BroadcastRepository.removeRecipient")(
      function* (broadcastId: string, channel: Channel, address: string, reason: string, at: DateTime.Utc) {
        const rows = yield* sql`
          UPDATE broadcast_recipients SET removed_at = ${toDate(at)}, removed_reason = ${reason}
          WHERE broadcast_id = ${broadcastId} AND channel = ${channel} AND address = ${address} AND removed_at IS NULL
          RETURNING address`
        return rows.length > 0
      },
      Effect.orDie
    )

    /** `create` for a broadcast made from another's recipients. */
    const createRetry = Effect.fn("BroadcastRepository.createRetry")(function* (broadcast: Broadcast, retryOf: string) {
      yield* sql`
        INSERT INTO broadcasts (id, org_id, name, category, channels, retry_of, created_at)
        VALUES (${broadcast.id}, ${broadcast.orgId}, ${broadcast.name}, ${broadcast.category},
          ${broadcast.channels}, ${retryOf}, ${toDate(broadcast.createdAt)})
        ON CONFLICT (id) DO NOTHING`
    }, Effect.orDie)

    const summary = Effect.fn("BroadcastRepository.summary")(function* (id: string) {
      const row = yield* decodeSummary(yield* sql`
        SELECT b.*,
          (SELECT count(*) FROM broadcast_recipients r WHERE r.broadcast_id = b.id AND r.removed_at IS NULL) AS listed,
          (SELECT count(*) FROM broadcast_recipients r WHERE r.broadcast_id = b.id AND r.removed_at IS NOT NULL) AS removed
        FROM broadcasts b WHERE b.id = ${id}`)
      return Option.map(row, ({ retryOf, listed, removed, ...broadcast }): BroadcastSummary => ({ broadcast, retryOf, recipients: listed, removed }))
    }, Effect.orDie)

    const counters = sql.unsafe(`jsonb_build_object(${rollupCounters.map((c) => `'${c}', r.${c}`).join(", ")})`)

    const keyset = Cursor.newestFirst(sql, "b.created_at", "b.id")
    /** The org's broadcasts, newest first, keyset on (created_at, id) over index broadcasts_page; each with its rollup, if any. */
    const newestFirst = Effect.fn("BroadcastRepository.newestFirst")(function* (orgId: string, before: { readonly micros: string; readonly id: string } | undefined, limit: number) {
      return yield* decodeListed(yield* sql`
        SELECT b.*, ${keyset.key},
          CASE WHEN r.broadcast_id IS NULL THEN NULL ELSE ${counters} END AS counters
        FROM broadcasts b LEFT JOIN rollup_broadcast r ON r.broadcast_id = b.id
        WHERE b.org_id = ${orgId}
          ${keyset.after(before)}
        ${keyset.order} LIMIT ${limit}`)
    }, Effect.orDie)

    /** A list's recipients after (channel, address), in that order: its primary key's. Only the org's broadcast has any. */
    const recipientsAfter = Effect.fn("BroadcastRepository.recipientsAfter")(function* (
      orgId: string, broadcastId: string, filter: RecipientFilter, after: readonly [Channel, string] | undefined, limit: number
    ) {
      return yield* decodeRecipientRows(yield* sql`
        SELECT r.* FROM broadcast_recipients r JOIN broadcasts b ON b.id = r.broadcast_id AND b.org_id = ${orgId}
        WHERE r.broadcast_id = ${broadcastId}
          ${filter.channel === undefined ? sql`` : sql`AND r.channel = ${filter.channel}`}
          ${filter.removed === undefined ? sql`` : filter.removed ? sql`AND r.removed_at IS NOT NULL` : sql`AND r.removed_at IS NULL`}
          ${after === undefined ? sql`` : sql`AND (r.channel, r.address) > (${after[0]}, ${after[1]})`}
        ORDER BY r.channel, r.address
        LIMIT ${limit}`)
    }, Effect.orDie)

    return { create, findById, addRecipients, recipients, removeRecipient, createRetry, summary, newestFirst, recipientsAfter } as const
  })
}) {}
