import { DateTime, Effect, Layer, Option, Ref } from "effect"
import type { Counters, DailyRollup } from "../../domain/Rollup.js"
import { addCounters, emptyCounters } from "../../domain/Rollup.js"
import type { RollupIncrement } from "../RollupRepository.js"
import { RollupRepository } from "../RollupRepository.js"

interface Tables {
  readonly daily: ReadonlyMap<string, DailyRollup & { readonly orgId: string }>
  readonly broadcasts: ReadonlyMap<string, Counters>
  readonly pending: ReadonlyArray<RollupIncrement>
}

const add = (t: Tables, input: RollupIncrement): Tables => {
  const day = DateTime.formatIsoDateUtc(input.day)
  const key = JSON.stringify([input.orgId, day, input.channel])
  const current = t.daily.get(key)?.counters ?? emptyCounters
  const daily = new Map(t.daily).set(key, { orgId: input.orgId, day, channel: input.channel, counters: addCounters(current, input.counters) })
  if (input.broadcastId === null) return { ...t, daily }
  const broadcast = addCounters(t.broadcasts.get(input.broadcastId) ?? emptyCounters, input.counters)
  return { ...t, daily, broadcasts: new Map(t.broadcasts).set(input.broadcastId, broadcast) }
}

/** The same interface over maps, for unit tests of the layers above; the contract suite keeps it true. */
export const layer = Layer.effect(
  RollupRepository,
  Effect.gen(function* () {
    const tables = yield* Ref.make<Tables>({ daily: new Map(), broadcasts: new Map(), pending: [] })

    return RollupRepository.make({
      increment: (input) => Ref.update(tables, (t) => add(t, input)),
      defer: (input) =>
        Object.values(input.counters).every((n) => (n ?? 0) === 0)
          ? Effect.void
          : Ref.update(tables, (t) => ({ ...t, pending: [...t.pending, input] })),
      fold: (limit) =>
        Ref.modify(tables, (t) => {
          const taken = t.pending.slice(0, limit)
          return [taken.length, taken.reduce(add, { ...t, pending: t.pending.slice(limit) })]
        }),
      forBroadcast: (broadcastId) => Effect.map(Ref.get(tables), (t) => Option.fromNullable(t.broadcasts.get(broadcastId))),
      daily: (orgId, from, to, channel) =>
        Effect.map(Ref.get(tables), (t) => {
          const [first, last] = [DateTime.formatIsoDateUtc(from), DateTime.formatIsoDateUtc(to)]
          return [...t.daily.values()]
            .filter((r) => r.orgId === orgId && r.day >= first && r.day <= last && (channel === undefined || r.channel === channel))
            .sort((a, b) => a.day < b.day ? -1 : a.day > b.day ? 1 : a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : 0)
            .map(({ day, channel, counters }) => ({ day, channel, counters }))
        })
    })
  })
)
