import { DateTime, Duration, Effect, Option } from "effect"
import type { SenderPolicy } from "../domain/SenderPolicy.js"
import { SenderAccountRepository } from "../storage/SenderAccountRepository.js"
import { Transactor } from "../storage/Transactor.js"
import { AppConfig } from "../AppConfig.js"
import * as KeyedActors from "./KeyedActors.js"

/**
 * The actor per sender account. Contact actors record what an account is owed in their own
 * transactions; this actor settles it in batches (one transaction takes the owed rows and adds them
 * to the counters), so a busy account's row is written by one fiber, not by every event.
 */
export class SenderActor extends Effect.Service<SenderActor>()("Sendtrail/SenderActor", {
  scoped: Effect.gen(function* () {
    const transactor = yield* Transactor
    const senders = yield* SenderAccountRepository
    const policy: SenderPolicy = (yield* AppConfig).senderPolicy

    const settle = (senderAccountId: string) =>
      transactor.transaction(Effect.gen(function* () {
        const owed = yield* senders.takeOwed(senderAccountId)
        if (Option.isNone(owed)) return
        const at = yield* DateTime.now
        let flagged: string | null = null
        for (const [metric, by] of owed.value.counts) {
          const account = yield* senders.count({ id: senderAccountId, orgId: owed.value.orgId, metric, by, at, policy })
          // Each count of this settlement sees the flag it may have set: report it once.
          if (account.flaggedAt !== null && DateTime.Equivalence(account.flaggedAt, at)) flagged = account.flaggedReason
        }
        if (flagged !== null) yield* Effect.logWarning(`sender account ${senderAccountId} flagged: ${flagged}`)
      }))

    const actors = yield* KeyedActors.make<void, void, void, never>(
      { name: "sender", maxActors: 1_000, mailboxCapacity: 64, idleTimeToLive: Duration.minutes(5) },
      { load: () => Effect.void, handle: (state, _message, key) => Effect.as(settle(key), [undefined, state] as const) }
    )
    return {
      settle: (senderAccountId: string) => actors.ask(senderAccountId, undefined),
      liveActors: actors.liveActors
    } as const
  })
}) {}
