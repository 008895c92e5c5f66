import { DateTime, Effect, Layer, Option, Ref } from "effect"
import type { Channel } from "../../domain/Event.js"
import { normalizeAddress } from "../../domain/Event.js"
import type { Suppression } from "../../domain/Records.js"
import { suppressionApplies } from "../../domain/Records.js"
import { pageCursor, SuppressionRepository } from "../SuppressionRepository.js"

type SortKey = readonly [string, Channel, string, string]

const sortKey = (s: Suppression): SortKey => [DateTime.formatIso(s.createdAt), s.channel, s.address, s.category ?? ""]

const compareKeys = (a: SortKey, b: SortKey): number => {
  for (let i = 0; i < a.length; i++) {
    if (a[i]! < b[i]!) return -1
    if (a[i]! > b[i]!) return 1
  }
  return 0
}

const primaryKey = (s: Pick<Suppression, "orgId" | "channel" | "address" | "category">) =>
  JSON.stringify([s.orgId, s.channel, s.address, s.category ?? ""])

/** The same interface over a map, for unit tests of the layers above; the contract suite keeps it true. */
export const layer = Layer.effect(
  SuppressionRepository,
  Effect.gen(function* () {
    const rows = yield* Ref.make<ReadonlyMap<string, Suppression>>(new Map())

    return SuppressionRepository.make({
      add: (input) =>
        Effect.flatMap(DateTime.now, (now) =>
          Ref.modify(rows, (map) => {
            const row: Suppression = { ...input, address: normalizeAddress(input.channel, input.address), createdAt: now }
            const key = primaryKey(row)
            return map.has(key) ? [false, map] : [true, new Map(map).set(key, row)]
          })),
      check: (orgId, channel, addresses, category) =>
        Effect.map(Ref.get(rows), (map) => {
          const wanted = new Set(addresses.map((address) => normalizeAddress(channel, address)))
          const found = [...map.values()]
            .filter((s) => s.orgId === orgId && s.channel === channel && wanted.has(s.address) && suppressionApplies(s, category))
            .sort((a, b) => Number(a.category !== null) - Number(b.category !== null) || compareKeys(sortKey(a), sortKey(b)))
          const result = new Map<string, Suppression>()
          for (const s of found) if (!result.has(s.address)) result.set(s.address, s)
          return result
        }),
      find: (orgId, channel, address, category) =>
        Effect.map(Ref.get(rows), (map) =>
          Option.fromNullable(map.get(primaryKey({ orgId, channel, address: normalizeAddress(channel, address), category })))),
      list: (orgId, options) =>
        Effect.gen(function* () {
          const after = options.after === undefined ? undefined : yield* pageCursor.decode(options.after)
          const matching = [...(yield* Ref.get(rows)).values()]
            .filter((s) =>
              s.orgId === orgId &&
              (options.channel === undefined || s.channel === options.channel) &&
              (options.reason === undefined || s.reason === options.reason) &&
              (after === undefined || compareKeys(sortKey(s), after) > 0))
            .sort((a, b) => compareKeys(sortKey(a), sortKey(b)))
          const items = matching.slice(0, options.limit)
          const last = items[items.length - 1]
          return {
            items,
            nextCursor: matching.length > options.limit && last !== undefined ? pageCursor.encode(sortKey(last)) : null
          }
        }),
      remove: (orgId, channel, address) =>
        Ref.modify(rows, (map) => {
          const normalized = normalizeAddress(channel, address)
          const kept = [...map].filter(([, s]) => !(s.orgId === orgId && s.channel === channel && s.address === normalized))
          return [map.size - kept.length, new Map(kept)]
        })
    })
  })
)
