import { DateTime, Duration, Effect, Either, Option, Ref } from "effect"
import { AppConfig } from "../AppConfig.js"
import type { NormalizedEvent } from "../domain/Event.js"
import type { InboxEntry } from "../domain/Ingest.js"
import { contactKey } from "../domain/Projection.js"
import { EventFeed } from "../metrics/EventFeed.js"
import { OpsMetrics } from "../metrics/OpsMetrics.js"
import { DeadLetterRepository } from "../storage/DeadLetterRepository.js"
import type { Claim } from "../storage/InboxRepository.js"
import { InboxRepository } from "../storage/InboxRepository.js"
import { decodeStoredEvent, ProjectionStore } from "../storage/ProjectionStore.js"
import { Inbox } from "./Inbox.js"

/** Large enough that a batch's fixed cost (two dozen statements, one commit) vanishes per event. */
export const batchSize = 2_000
const idlePoll = Duration.millis(500)
/** How long arrivals gather before a batch that would not be full: adds at most this to the lag. */
const gatherWindow = Duration.millis(100)

/** Waits 1 s after the first failure, doubling up to a minute. */
export const retryDelay = (attempts: number): Duration.Duration =>
  Duration.millis(Math.min(60_000, 1_000 * 2 ** Math.max(0, attempts - 1)))

const eventOf = (row: InboxEntry): NormalizedEvent | null => Either.getOrNull(decodeStoredEvent(row.event))

/** Two halves of a failed batch: by contact key while it holds several, else by position. */
const split = (rows: ReadonlyArray<InboxEntry>): [ReadonlyArray<InboxEntry>, ReadonlyArray<InboxEntry>] => {
  const keyOf = new Map(rows.map((row) => { const event = eventOf(row); return [row, event === null ? "" : contactKey(event)] as const }))
  const keys = [...new Set(keyOf.values())]
  if (keys.length > 1) {
    const first = new Set(keys.slice(0, keys.length >> 1))
    return [rows.filter((r) => first.has(keyOf.get(r)!)), rows.filter((r) => !first.has(keyOf.get(r)!))]
  }
  return [rows.slice(0, rows.length >> 1), rows.slice(rows.length >> 1)]
}

/**
 * Drains the inbox: each worker applies a batch of its share in one transaction (ProjectionStore).
 * A batch that fails is split until the failing events are alone; those are retried with backoff and
 * dead-lettered after the last attempt, while every healthy event still applies. Claimed rows are
 * locked, not leased, so what a crash interrupts is claimable again at once.
 */
export class Pipeline extends Effect.Service<Pipeline>()("Sendtrail/Pipeline", {
  scoped: Effect.gen(function* () {
    const repo = yield* InboxRepository
    const inbox = yield* Inbox
    const store = yield* ProjectionStore
    const deadLetters = yield* DeadLetterRepository
    // Batches in flight (PIPELINE_WORKERS), each claiming its share of the owner buckets: the database
    // works on one while this process decides another, and shares never wait for each other's keys.
    const { pipelineMaxAttempts, pipelineEnabled, pipelineWorkers: workers } = yield* AppConfig
    const metrics = yield* Effect.serviceOption(OpsMetrics)
    /** Batches that re-homed rows so far (in either loop): a drain that saw one during its round goes on. */
    const rehomings = yield* Ref.make(0)
    const feed = yield* Effect.serviceOption(EventFeed)

    const deadLetter = (row: InboxEntry, event: NormalizedEvent | null, error: string) =>
      Effect.gen(function* () {
        const at = yield* DateTime.now
        const raw = row.event as { orgId?: unknown; provider?: unknown } | null
        yield* deadLetters.add({
          orgId: event?.orgId ?? (typeof raw?.orgId === "string" ? raw.orgId : "unknown"),
          provider: event?.provider ?? (typeof raw?.provider === "string" ? raw.provider : "unknown"),
          inboxId: row.id, stage: "apply", error, rawBody: null, headers: null, url: null, event: row.event, at
        })
        yield* repo.complete([row.id], at)
        yield* Effect.logWarning(`inbox row ${row.id} dead-lettered: ${error}`)
      })

    /** Counts the attempt; true when the row is finished (dead-lettered). */
    const failed = (row: InboxEntry, error: string) =>
      Effect.gen(function* () {
        const now = yield* DateTime.now
        const attempts = yield* repo.fail(row.id, error, DateTime.addDuration(now, retryDelay(row.attempts + 1)))
        if (attempts >= pipelineMaxAttempts) {
          yield* deadLetter(row, eventOf(row), `after ${attempts} attempts: ${error}`)
          return true
        }
        yield* Effect.logWarning(`inbox row ${row.id} failed (attempt ${attempts}), retrying: ${error}`)
        return false
      })

    /** Applies a claim, splitting it on failure; answers the rows claimed and the rows finished. */
    const applyOrSplit = (claim: Claim): Effect.Effect<{ readonly claimed: number; readonly finished: number }> =>
      Effect.gen(function* () {
        const outcome = yield* Effect.either(store.apply(claim))
        if (Either.isLeft(outcome)) {
          const { rows, reason } = outcome.left
          // Nothing claimed: the database itself is in trouble; the drain loop waits and tries again.
          if (rows.length === 0) return yield* Effect.dieMessage(`applying a batch failed: ${reason}`)
          if (rows.length === 1) return { claimed: 1, finished: (yield* failed(rows[0]!, reason)) ? 1 : 0 }
          const halves = yield* Effect.forEach(split(rows), (half) => applyOrSplit({ ids: half.map((r) => r.id) }))
          return { claimed: rows.length, finished: halves[0]!.finished + halves[1]!.finished }
        }
        const { completed, applied, rejected, undecodable, flagged, unmatched, rehomed } = outcome.right
        let finished = completed.length
        for (const { row, reason } of rejected) finished += (yield* failed(row, reason)) ? 1 : 0
        for (const { row, error } of undecodable) yield* deadLetter(row, null, error)
        finished += undecodable.length
        for (const account of flagged) yield* Effect.logWarning(`sender account ${account.id} flagged: ${account.flaggedReason}`)
        if (Option.isSome(feed)) yield* Effect.forEach(applied, feed.value.publish, { discard: true })
        if (Option.isSome(metrics)) {
          const now = Date.now()
          yield* metrics.value.applied(completed.map((c) => (now - c.row.receivedAt.getTime()) / 1000))
          yield* metrics.value.unmatched(unmatched)
        }
        yield* inbox.processed(finished)
        // Another share may own the re-homed rows now: wake it rather than leave them to its idle poll.
        if (rehomed > 0) yield* Effect.zipRight(Ref.update(rehomings, (n) => n + 1), inbox.wake)
        // Re-homed rows count as claimed: a drain goes on until their new share has applied them.
        return { claimed: completed.length + rejected.length + undecodable.length + rehomed, finished }
      })

    // One batch in flight per share: the background loop and an explicit drain take turns.
    const shares = yield* Effect.forEach(Array.from({ length: workers }, (_, share) => share), (share) =>
      Effect.map(Effect.makeSemaphore(1), (turn) =>
        turn.withPermits(1)(Effect.map(applyOrSplit({ limit: batchSize, share, shares: workers }), (r) => r.claimed))))

    // A batch costs two dozen statements whatever its size: short of a full one, let arrivals gather a
    // moment instead of applying each group commit's few rows on their own (docs/benchmarks.md).
    const drainShare = (drainOnce: Effect.Effect<number>) =>
      Effect.forever(Effect.flatMap(drainOnce, (claimed) =>
        claimed >= batchSize ? Effect.void
          : Effect.zipRight(claimed > 0 ? Effect.void : Effect.race(inbox.awaitNewRows, Effect.sleep(idlePoll)), Effect.sleep(gatherWindow)))).pipe(
        // Storage trouble (a lost connection): say so, wait, and drain again; nothing is lost meanwhile.
        Effect.catchAllCause((cause) => Effect.zipRight(Effect.logError("pipeline drain failed", cause), Effect.sleep(Duration.seconds(1)))),
        Effect.forever
      )

    // PIPELINE_ENABLED=false: this instance only acknowledges webhooks; others (same database) apply them.
    if (pipelineEnabled) yield* Effect.forEach(shares, (drainOnce) => Effect.forkScoped(drainShare(drainOnce)), { discard: true })
    return {
      /** Drains until nothing is claimable now (tests, and shutdown of a test process). */
      drain: Effect.gen(function* () {
        // A background batch may re-home rows into a share this round has passed already; each share's
        // turn ends after its background batch, so a round after that one sees those rows.
        for (;;) {
          const before = yield* Ref.get(rehomings)
          const claimed = yield* Effect.forEach(shares, (drainOnce) => drainOnce, { concurrency: "unbounded" })
          if (claimed.every((n) => n === 0) && (yield* Ref.get(rehomings)) === before) return
        }
      })
    } as const
  })
}) {}
