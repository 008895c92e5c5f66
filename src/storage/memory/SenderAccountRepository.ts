import { Effect, Layer, Option, Ref } from "effect"
import type { SenderAccount } from "../../domain/Records.js"
import { breach, rate } from "../../domain/SenderPolicy.js"
import type { OwedCount } from "../SenderAccountRepository.js"
import { SenderAccountRepository, sumOwed } from "../SenderAccountRepository.js"

/** The same interface over a map, for unit tests of the layers above; the contract suite keeps it true. */
export const layer = Layer.effect(
  SenderAccountRepository,
  Effect.gen(function* () {
    const accounts = yield* Ref.make<ReadonlyMap<string, SenderAccount>>(new Map())
    const owed = yield* Ref.make<ReadonlyMap<string, OwedCount>>(new Map())
    const save = (map: ReadonlyMap<string, SenderAccount>, account: SenderAccount) =>
      [account, new Map(map).set(account.id, account)] as const

    return SenderAccountRepository.make({
      count: (input) =>
        Ref.modify(accounts, (map) => {
          const current: SenderAccount = map.get(input.id) ?? {
            id: input.id,
            orgId: input.orgId,
            sent: 0,
            delivered: 0,
            bounced: 0,
            complained: 0,
            bounceRate: 0,
            complaintRate: 0,
            flaggedAt: null,
            flaggedReason: null,
            updatedAt: input.at
          }
          const counts = { ...current, [input.metric]: current[input.metric] + (input.by ?? 1) }
          const reason = current.flaggedAt === null ? breach(counts, input.policy) : null
          return save(map, {
            ...counts,
            bounceRate: rate(counts.bounced, counts.sent),
            complaintRate: rate(counts.complained, counts.sent),
            ...(reason === null ? {} : { flaggedAt: input.at, flaggedReason: reason }),
            updatedAt: input.at
          })
        }),
      findById: (id) => Effect.map(Ref.get(accounts), (map) => Option.fromNullable(map.get(id))),
      list: (orgId) =>
        Effect.map(Ref.get(accounts), (map) =>
          [...map.values()]
            .filter((a) => orgId === undefined || a.orgId === orgId)
            .sort((a, b) => a.orgId < b.orgId ? -1 : a.orgId > b.orgId ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
      unflag: (id, at) =>
        Ref.modify(accounts, (map) => {
          const current = map.get(id)
          if (current === undefined) return [Option.none(), map]
          if (current.flaggedAt === null) return [Option.some(current), map]
          const [account, next] = save(map, { ...current, flaggedAt: null, flaggedReason: null, updatedAt: at })
          return [Option.some(account), next]
        }),
      owe: (entries) =>
        Ref.update(owed, (map) => {
          const next = new Map(map)
          for (const e of entries) {
            const key = `${e.deliveryId}:${e.metric}`
            if (!next.has(key)) next.set(key, e)
          }
          return next
        }),
      takeOwed: (senderAccountId) =>
        Ref.modify(owed, (map) => {
          const mine = [...map].filter(([, e]) => e.senderAccountId === senderAccountId)
          const rest = new Map(map)
          for (const [key] of mine) rest.delete(key)
          return [sumOwed(mine.map(([, e]) => e)), rest]
        }),
      owedAccounts: () => Effect.map(Ref.get(owed), (map) => [...new Set([...map.values()].map((e) => e.senderAccountId))])
    })
  })
)
