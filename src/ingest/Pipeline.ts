import { Cause, DateTime, Duration, Effect, Either, Exit, Option, Schema } from "effect"
import { ContactActor, contactKey } from "../actors/ContactActor.js"
import { SenderActor } from "../actors/SenderActor.js"
import { AppConfig } from "../AppConfig.js"
import type { NormalizedEvent } from "../domain/Event.js"
import { NormalizedEvent as NormalizedEventSchema } from "../domain/Event.js"
import type { InboxEntry } from "../domain/Ingest.js"
import { OpsMetrics } from "../metrics/OpsMetrics.js"
import { DeadLetterRepository } from "../storage/DeadLetterRepository.js"
import { InboxRepository } from "../storage/InboxRepository.js"
import { RollupRepository } from "../storage/RollupRepository.js"
import { SenderAccountRepository } from "../storage/SenderAccountRepository.js"
import { Inbox } from "./Inbox.js"

const decodeEvent = Schema.decodeUnknownEither(NormalizedEventSchema)

export const batchSize = 1_000
/** A claimed row not finished by then is taken again (by this instance or another). */
const lease = Duration.minutes(2)
const idlePoll = Duration.millis(500)
/** Contacts applied at once: enough to keep the database busy, few enough to leave connections for acks. */
const keysInParallel = 32
const rollupFoldSize = 10_000

/** Waits 1 s after the first failure, doubling up to a minute. */
export const retryDelay = (attempts: number): Duration.Duration =>
  Duration.millis(Math.min(60_000, 1_000 * 2 ** Math.max(0, attempts - 1)))

const describe = (cause: Cause.Cause<unknown>) => Cause.pretty(cause).split("\n").slice(0, 3).join(" ").slice(0, 500)

/**
 * Drains the inbox in id order: claims a batch, routes each event to its contact's actor (events of
 * one contact in order, contacts in parallel), marks what was applied, retries what failed with
 * backoff and dead-letters what keeps failing. At start it releases stale leases, so everything a
 * crash left unprocessed is drained again.
 */
export class Pipeline extends Effect.Service<Pipeline>()("Sendtrail/Pipeline", {
  scoped: Effect.gen(function* () {
    const repo = yield* InboxRepository
    const inbox = yield* Inbox
    const deadLetters = yield* DeadLetterRepository
    const contactActor = yield* ContactActor
    const senderActor = yield* SenderActor
    const senders = yield* SenderAccountRepository
    const rollups = yield* RollupRepository
    const { pipelineMaxAttempts, pipelineEnabled } = yield* AppConfig
    const scope = yield* Effect.scope
    const metrics = yield* Effect.serviceOption(OpsMetrics)

    const settle = (senderAccountIds: Iterable<string>) =>
      Effect.forkIn(Effect.forEach(senderAccountIds, senderActor.settle, { concurrency: 8, discard: true }), scope)

    const deadLetter = (entry: InboxEntry, event: NormalizedEvent | null, error: string) =>
      Effect.gen(function* () {
        const at = yield* DateTime.now
        const raw = entry.event as { orgId?: unknown; provider?: unknown } | null
        yield* deadLetters.add({
          orgId: event?.orgId ?? (typeof raw?.orgId === "string" ? raw.orgId : "unknown"),
          provider: event?.provider ?? (typeof raw?.provider === "string" ? raw.provider : "unknown"),
          inboxId: entry.id, stage: "apply", error, rawBody: null, headers: null, url: null, event: entry.event, at
        })
        yield* repo.complete([entry.id], at)
        yield* Effect.logWarning(`inbox row ${entry.id} dead-lettered: ${error}`)
      })

    const failed = (entry: InboxEntry, event: NormalizedEvent, cause: Cause.Cause<unknown>) =>
      Effect.gen(function* () {
        const error = describe(cause)
        const now = yield* DateTime.now
        const attempts = yield* repo.fail(entry.id, error, DateTime.addDuration(now, retryDelay(entry.attempts + 1)))
        if (attempts >= pipelineMaxAttempts) {
          yield* deadLetter(entry, event, `after ${attempts} attempts: ${error}`)
          return true
        }
        yield* Effect.logWarning(`inbox row ${entry.id} failed (attempt ${attempts}), retrying`, cause)
        return false
      })

    /** Moves the batch's rollup deltas into the rollups before the batch counts as done. */
    const foldRollups = Effect.gen(function* () {
      while ((yield* rollups.fold(rollupFoldSize)) === rollupFoldSize) continue
    })

    const process = (entries: ReadonlyArray<InboxEntry>) =>
      Effect.gen(function* () {
        const byContact = new Map<string, Array<readonly [InboxEntry, NormalizedEvent]>>()
        let finished = 0
        for (const entry of entries) {
          const decoded = decodeEvent(entry.event)
          if (Either.isLeft(decoded)) {
            yield* deadLetter(entry, null, `stored event does not decode: ${decoded.left.message}`)
            finished++
            continue
          }
          const key = contactKey(decoded.right)
          const queue = byContact.get(key) ?? []
          queue.push([entry, decoded.right])
          byContact.set(key, queue)
        }
        const applied: Array<number> = []
        const receivedAt: Array<Date> = []
        const owed = new Set<string>()
        yield* Effect.forEach(byContact.values(), (queue) =>
          Effect.forEach(queue, ([entry, event]) =>
            Effect.flatMap(Effect.exit(contactActor.apply(event)), (exit) => {
              if (Exit.isSuccess(exit)) {
                applied.push(entry.id)
                receivedAt.push(entry.receivedAt)
                if (exit.value.senderAccountId !== null) owed.add(exit.value.senderAccountId)
                return Effect.void
              }
              return Effect.map(failed(entry, event, exit.cause), (dead) => void (finished += dead ? 1 : 0))
            }), { discard: true }), { concurrency: keysInParallel, discard: true })
        yield* foldRollups
        const processedAt = yield* DateTime.now
        yield* repo.complete(applied, processedAt)
        if (Option.isSome(metrics)) yield* metrics.value.applied(receivedAt.map((at) => (processedAt.epochMillis - at.getTime()) / 1000))
        yield* inbox.processed(applied.length + finished)
        if (owed.size > 0) yield* settle(owed)
      })

    // One batch in flight per instance: the background loop and an explicit drain take turns.
    const oneBatch = yield* Effect.makeSemaphore(1)
    const drainOnce = oneBatch.withPermits(1)(Effect.gen(function* () {
      const now = yield* DateTime.now
      const entries = yield* repo.claim(batchSize, now, DateTime.addDuration(now, lease))
      if (entries.length > 0) yield* process(entries)
      return entries.length
    }))

    const startDraining = Effect.gen(function* () {
      yield* repo.releaseLeases(yield* DateTime.now)
      yield* settle(yield* senders.owedAccounts())
      yield* Effect.forkIn(Effect.forever(
        Effect.flatMap(drainOnce, (claimed) =>
          claimed > 0 ? Effect.void : Effect.race(inbox.awaitNewRows, Effect.sleep(idlePoll)))
      ).pipe(
        // Storage trouble (a lost connection): say so, wait, and drain again; nothing is lost meanwhile.
        Effect.catchAllCause((cause) => Effect.zipRight(Effect.logError("pipeline drain failed", cause), Effect.sleep(Duration.seconds(1)))),
        Effect.forever
      ), scope)
    })

    // PIPELINE_ENABLED=false: this instance only acknowledges webhooks; others (same database) apply them.
    if (pipelineEnabled) yield* startDraining
    return {
      /** Drains until nothing is claimable now (tests, and shutdown of a test process). */
      drain: Effect.gen(function* () {
        while ((yield* drainOnce) > 0) continue
      })
    } as const
  })
}) {}
