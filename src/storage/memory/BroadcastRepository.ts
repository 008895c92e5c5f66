import { Effect, Layer, Option, Ref } from "effect"
import type { Broadcast } from "../../domain/Records.js"
import type { Recipient } from "../BroadcastRepository.js"
import { BroadcastRepository } from "../BroadcastRepository.js"

interface Listed extends Recipient {
  readonly broadcastId: string
  readonly removed: boolean
}

const key = (broadcastId: string, r: Pick<Recipient, "channel" | "address">) => `${broadcastId}|${r.channel}|${r.address}`

export const layer = Layer.effect(
  BroadcastRepository,
  Effect.gen(function* () {
    const broadcasts = yield* Ref.make<ReadonlyMap<string, Broadcast>>(new Map())
    const lists = yield* Ref.make<ReadonlyMap<string, Listed>>(new Map())
    const retries = yield* Ref.make<ReadonlyMap<string, string>>(new Map())
    const create = (broadcast: Broadcast) =>
      Ref.modify(broadcasts, (map) => map.has(broadcast.id) ? [false, map] : [true, new Map(map).set(broadcast.id, broadcast)])
    return BroadcastRepository.make({
      create: (broadcast) => Effect.asVoid(create(broadcast)),
      createRetry: (broadcast, retryOf) =>
        Effect.flatMap(create(broadcast), (created) => created ? Ref.update(retries, (map) => new Map(map).set(broadcast.id, retryOf)) : Effect.void),
      summary: (id) =>
        Effect.gen(function* () {
          const broadcast = (yield* Ref.get(broadcasts)).get(id)
          if (broadcast === undefined) return Option.none()
          const listed = [...(yield* Ref.get(lists)).values()].filter((r) => r.broadcastId === id)
          return Option.some({
            broadcast,
            retryOf: (yield* Ref.get(retries)).get(id) ?? null,
            recipients: listed.filter((r) => !r.removed).length,
            removed: listed.filter((r) => r.removed).length
          })
        }),
      findById: (id) => Effect.map(Ref.get(broadcasts), (map) => Option.fromNullable(map.get(id))),
      addRecipients: (broadcastId, recipients) =>
        Ref.update(lists, (map) => {
          const next = new Map(map)
          for (const r of recipients) {
            if (!next.has(key(broadcastId, r))) next.set(key(broadcastId, r), { ...r, broadcastId, removed: false })
          }
          return next
        }),
      recipients: (broadcastId) =>
        Effect.map(Ref.get(lists), (map) =>
          [...map.values()]
            .filter((r) => r.broadcastId === broadcastId && !r.removed)
            .sort((a, b) => a.channel.localeCompare(b.channel) || a.address.localeCompare(b.address))
            .map((r): Recipient => ({ channel: r.channel, address: r.address, contactId: r.contactId }))),
      removeRecipient: (broadcastId, channel, address) =>
        Ref.modify(lists, (map) => {
          const listed = map.get(key(broadcastId, { channel, address }))
          if (listed === undefined || listed.removed) return [false, map]
          return [true, new Map(map).set(key(broadcastId, { channel, address }), { ...listed, removed: true })]
        })
    })
  })
)
