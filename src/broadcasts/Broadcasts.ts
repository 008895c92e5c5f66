import { Data, DateTime, Effect, Option, Schema } from "effect"
import type { Category, Channel } from "../domain/Event.js"
import type { Broadcast } from "../domain/Records.js"
import type { Counters } from "../domain/Rollup.js"
import { BroadcastRepository } from "../storage/BroadcastRepository.js"
import * as Cursor from "../storage/Cursor.js"
import { RollupRepository } from "../storage/RollupRepository.js"

/** No such broadcast in the caller's org; another org's broadcast is reported the same way. */
export class BroadcastNotFound extends Data.TaggedError("BroadcastNotFound")<{ readonly message: string }> {}

export interface NewBroadcast {
  readonly name: string
  readonly category: Category
  readonly channels?: ReadonlyArray<Channel> | undefined
}

export interface BroadcastRecord extends Broadcast {
  readonly retryOf: string | null
}

export interface BroadcastView extends BroadcastRecord {
  readonly recipientCount: number
  readonly removedRecipientCount: number
  readonly counters: Counters | null
}

export interface BroadcastListItem extends BroadcastRecord {
  readonly counters: Counters | null
}

/** `GET /broadcast`'s keyset: the last broadcast's creation time and id. */
export const broadcastCursor = Cursor.scoped("broadcasts", Cursor.timeKey(Schema.String))
export type BroadcastCursor = typeof broadcastCursor.Param.Type

export const newBroadcastId = () => `b_${crypto.randomUUID().replaceAll("-", "")}`

/** Broadcasts as an org sees them: its own, and nobody else's. */
export class Broadcasts extends Effect.Service<Broadcasts>()("Sendtrail/Broadcasts", {
  effect: Effect.gen(function* () {
    const broadcasts = yield* BroadcastRepository
    const rollups = yield* RollupRepository

    const create = Effect.fn("Broadcasts.create")(function* (orgId: string, input: NewBroadcast) {
      const broadcast: Broadcast = {
        id: newBroadcastId(),
        orgId,
        name: input.name,
        category: input.category,
        channels: [...new Set<Channel>(input.channels ?? ["email"])],
        createdAt: yield* DateTime.now
      }
      yield* broadcasts.create(broadcast)
      return { ...broadcast, retryOf: null } satisfies BroadcastRecord
    })

    const notFound = (id: string) => new BroadcastNotFound({ message: `no broadcast '${id}'` })

    /** The org's broadcast, or BroadcastNotFound: whether another org has one by that id is not told. */
    const owned = Effect.fn("Broadcasts.owned")(function* (orgId: string, id: string) {
      const found = yield* broadcasts.findById(id)
      if (Option.isNone(found) || found.value.orgId !== orgId) return yield* notFound(id)
      return found.value
    })

    const view = Effect.fn("Broadcasts.view")(function* (orgId: string, id: string) {
      const found = yield* broadcasts.summary(id)
      if (Option.isNone(found) || found.value.broadcast.orgId !== orgId) return yield* notFound(id)
      const summary = found.value
      const counters = yield* rollups.forBroadcast(id)
      return {
        ...summary.broadcast,
        retryOf: summary.retryOf,
        recipientCount: summary.recipients,
        removedRecipientCount: summary.removed,
        counters: Option.getOrNull(counters)
      } satisfies BroadcastView
    })

    /** The org's broadcasts, newest first, with their counters; a page and the cursor of the next. */
    const list = Effect.fn("Broadcasts.list")(function* (orgId: string, given: BroadcastCursor | undefined, limit: number) {
      const before = yield* broadcastCursor.keyIn([orgId], given)
      const { items, next } = Cursor.cut(yield* broadcasts.newestFirst(orgId, before, limit + 1), limit)
      return {
        items: items.map(({ micros: _, ...item }): BroadcastListItem => item),
        nextCursor: next === undefined ? null : broadcastCursor.encode([orgId], next)
      }
    })

    return { create, owned, view, list } as const
  })
}) {}
