import { Cause, DateTime, Duration, Effect, Either, Exit, Option, Schema } from "effect"
import { AppConfig } from "../AppConfig.js"
import type { NormalizedEvent } from "../domain/Event.js"
import { NormalizedEvent as NormalizedEventSchema } from "../domain/Event.js"
import type { InboxEntry } from "../domain/Ingest.js"
import { contactKey } from "../domain/Projection.js"
import { EventFeed } from "../metrics/EventFeed.js"
import { OpsMetrics } from "../metrics/OpsMetrics.js"
import { DeadLetterRepository } from "../storage/DeadLetterRepository.js"
import { InboxRepository } from "../storage/InboxRepository.js"
import type { BatchEntry } from "../storage/ProjectionStore.js"
import { ProjectionStore } from "../storage/ProjectionStore.js"
import { Inbox } from "./Inbox.js"

const decodeEvent = Schema.decodeUnknownEither(NormalizedEventSchema)

/** Large enough that a batch's fixed cost (a dozen statements, one commit) vanishes per event. */
export const batchSize = 2_000
/** A claimed row not finished by then is taken again (by this instance or another). */
const lease = Duration.minutes(2)
const idlePoll = Duration.millis(500)

/** Waits 1 s after the first failure, doubling up to a minute. */
export const retryDelay = (attempts: number): Duration.Duration =>
  Duration.millis(Math.min(60_000, 1_000 * 2 ** Math.max(0, attempts - 1)))

/** The failure and what caused it (an SqlError's own message names no PostgreSQL error). */
const describe = (cause: Cause.Cause<unknown>) => {
  const chain = (error: unknown): ReadonlyArray<string> =>
    error instanceof Error ? [error.message, ...chain(error.cause)] : error === undefined ? [] : [String(error)]
  return chain(Cause.squash(cause)).join(": ").slice(0, 500)
}

/** Two halves of a failed batch: by contact key while it holds several, else by position. */
const split = (entries: ReadonlyArray<Decoded>): [ReadonlyArray<Decoded>, ReadonlyArray<Decoded>] => {
  const keys = [...new Set(entries.map((e) => contactKey(e.event)))]
  if (keys.length > 1) {
    const first = new Set(keys.slice(0, keys.length >> 1))
    return [entries.filter((e) => first.has(contactKey(e.event))), entries.filter((e) => !first.has(contactKey(e.event)))]
  }
  return [entries.slice(0, entries.length >> 1), entries.slice(entries.length >> 1)]
}

interface Decoded extends BatchEntry {
  readonly row: InboxEntry
}

/**
 * Drains the inbox in id order: claims a batch and applies it in one transaction (ProjectionStore).
 * A batch that fails is split until the failing events are alone; those are retried with backoff and
 * dead-lettered after the last attempt, while every healthy event still applies. At start it releases
 * stale leases, so everything a crash left unprocessed is drained again.
 */
export class Pipeline extends Effect.Service<Pipeline>()("Sendtrail/Pipeline", {
  scoped: Effect.gen(function* () {
    const repo = yield* InboxRepository
    const inbox = yield* Inbox
    const store = yield* ProjectionStore
    const deadLetters = yield* DeadLetterRepository
    const { pipelineMaxAttempts, pipelineEnabled } = yield* AppConfig
    const scope = yield* Effect.scope
    const metrics = yield* Effect.serviceOption(OpsMetrics)
    const feed = yield* Effect.serviceOption(EventFeed)

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

    /** Counts the attempt; true when the row is finished (dead-lettered). */
    const failed = (entry: Decoded, error: string) =>
      Effect.gen(function* () {
        const now = yield* DateTime.now
        const attempts = yield* repo.fail(entry.row.id, error, DateTime.addDuration(now, retryDelay(entry.row.attempts + 1)))
        if (attempts >= pipelineMaxAttempts) {
          yield* deadLetter(entry.row, entry.event, `after ${attempts} attempts: ${error}`)
          return true
        }
        yield* Effect.logWarning(`inbox row ${entry.row.id} failed (attempt ${attempts}), retrying: ${error}`)
        return false
      })

    /** Applies the entries, splitting on failure; answers how many inbox rows it finished. */
    const applyOrSplit = (entries: ReadonlyArray<Decoded>): Effect.Effect<number> =>
      Effect.gen(function* () {
        if (entries.length === 0) return 0
        const exit = yield* Effect.exit(store.apply(entries))
        if (Exit.isFailure(exit)) {
          if (entries.length === 1) return (yield* failed(entries[0]!, describe(exit.cause))) ? 1 : 0
          const [left, right] = split(entries)
          return (yield* applyOrSplit(left)) + (yield* applyOrSplit(right))
        }
        const { applied, rejected, flagged } = exit.value
        const refused = new Set(rejected.map((r) => r.entry.inboxId))
        let finished = entries.length - refused.size
        for (const { entry, reason } of rejected) finished += (yield* failed(entry as Decoded, reason)) ? 1 : 0
        for (const account of flagged) yield* Effect.logWarning(`sender account ${account.id} flagged: ${account.flaggedReason}`)
        if (Option.isSome(feed)) yield* Effect.forEach(applied, feed.value.publish, { discard: true })
        if (Option.isSome(metrics)) {
          const now = Date.now()
          yield* metrics.value.applied(entries.flatMap((e) => refused.has(e.inboxId) ? [] : [(now - e.row.receivedAt.getTime()) / 1000]))
        }
        return finished
      })

    const process = (rows: ReadonlyArray<InboxEntry>) =>
      Effect.gen(function* () {
        const entries: Array<Decoded> = []
        let finished = 0
        for (const row of rows) {
          const decoded = decodeEvent(row.event)
          if (Either.isRight(decoded)) {
            entries.push({ inboxId: row.id, event: decoded.right, row })
            continue
          }
          yield* deadLetter(row, null, `stored event does not decode: ${decoded.left.message}`)
          finished++
        }
        finished += yield* applyOrSplit(entries)
        yield* inbox.processed(finished)
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
