import { Chunk, DateTime, Effect, Option, Schema, Stream } from "effect"
import { BroadcastNotFound } from "../broadcasts/Broadcasts.js"
import { Channel } from "../domain/Event.js"
import type { BroadcastRecipient } from "../domain/Records.js"
import { BroadcastRepository } from "../storage/BroadcastRepository.js"
import * as Cursor from "../storage/Cursor.js"
import { csvRecord } from "./Csv.js"

/** On the list, or taken off it (unsubscribed after it was made). */
export const RecipientStatus = Schema.Literal("listed", "removed")
export type RecipientStatus = typeof RecipientStatus.Type

export interface RecipientFilter {
  readonly channel: Channel | undefined
  readonly status: RecipientStatus | undefined
}

export interface RecipientView {
  readonly channel: Channel
  readonly address: string
  readonly contactId: string | null
  readonly status: RecipientStatus
  readonly removedAt: DateTime.Utc | null
  readonly removedReason: string | null
}

/** The list's keyset, (channel, address) of the last recipient, for one broadcast and filter. */
export const recipientCursor = Cursor.scoped("recipients", Schema.Tuple(Channel, Schema.String))
export type RecipientCursor = typeof recipientCursor.Param.Type

export const recipientCsvColumns = ["broadcastId", "channel", "address", "contactId", "status", "removedAt", "removedReason"] as const

const view = ({ broadcastId: _, ...recipient }: BroadcastRecipient): RecipientView => ({
  ...recipient,
  status: recipient.removedAt === null ? "listed" : "removed"
})

const scope = (orgId: string, broadcastId: string, filter: RecipientFilter) => [orgId, broadcastId, filter.channel ?? null, filter.status ?? null]

/**
 * A broadcast's recipient list as the org reads it back: the list registrations, push results and retry
 * lists build (broadcast_recipients), keyset-paged on its primary key, or as CSV.
 */
export class Recipients extends Effect.Service<Recipients>()("Sendtrail/Recipients", {
  effect: Effect.gen(function* () {
    const lists = yield* BroadcastRepository

    const owned = Effect.fn("Recipients.owned")(function* (orgId: string, broadcastId: string) {
      const found = yield* lists.findById(broadcastId)
      if (Option.isNone(found) || found.value.orgId !== orgId) {
        return yield* new BroadcastNotFound({ message: `no broadcast '${broadcastId}'` })
      }
    })

    const rowsAfter = (orgId: string, broadcastId: string, filter: RecipientFilter, after: readonly [Channel, string] | undefined, limit: number) =>
      lists.recipientsAfter(orgId, broadcastId, { channel: filter.channel, removed: filter.status === undefined ? undefined : filter.status === "removed" }, after, limit)

    const page = Effect.fn("Recipients.page")(function* (
      orgId: string, broadcastId: string, filter: RecipientFilter, given: RecipientCursor | undefined, pageSize: number
    ) {
      yield* owned(orgId, broadcastId)
      const after = yield* recipientCursor.keyIn(scope(orgId, broadcastId, filter), given)
      const rows = yield* rowsAfter(orgId, broadcastId, filter, after, pageSize + 1)
      const items = rows.slice(0, pageSize)
      const last = items[items.length - 1]
      return {
        items: items.map(view),
        nextCursor: rows.length > pageSize && last !== undefined
          ? recipientCursor.encode(scope(orgId, broadcastId, filter), [last.channel, last.address])
          : null
      }
    })

    /** The list as CSV, read `batch` recipients at a time by keyset: nothing large is held in memory. */
    const csv = Effect.fn("Recipients.csv")(function* (orgId: string, broadcastId: string, filter: RecipientFilter, batch = 1000) {
      yield* owned(orgId, broadcastId)
      const encoder = new TextEncoder()
      const body = Stream.paginateChunkEffect(undefined as readonly [Channel, string] | undefined, (after) =>
        Effect.map(rowsAfter(orgId, broadcastId, filter, after, batch), (rows) => {
          const text = rows.map((row) => {
            const recipient = view(row)
            return csvRecord([
              row.broadcastId, recipient.channel, recipient.address, recipient.contactId, recipient.status,
              recipient.removedAt === null ? null : DateTime.formatIso(recipient.removedAt), recipient.removedReason
            ])
          }).join("")
          const last = rows[rows.length - 1]
          const next = rows.length === batch && last !== undefined ? Option.some([last.channel, last.address] as const) : Option.none()
          return [rows.length === 0 ? Chunk.empty<string>() : Chunk.of(text), next] as const
        }))
      return Stream.concat(Stream.make(csvRecord(recipientCsvColumns)), body).pipe(Stream.map((text) => encoder.encode(text)))
    })

    return { page, csv } as const
  })
}) {}
