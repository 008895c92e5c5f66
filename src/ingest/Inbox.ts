import { Data, DateTime, Deferred, Duration, Effect, Queue, Ref, Schema } from "effect"
import { AppConfig } from "../AppConfig.js"
import type { NormalizedEvent } from "../domain/Event.js"
import { NormalizedEvent as NormalizedEventSchema, eventKey } from "../domain/Event.js"
import { contactKey } from "../domain/Projection.js"
import { InboxRepository } from "../storage/InboxRepository.js"
import * as KeyOwnership from "../storage/KeyOwnership.js"

export class InboxOverloaded extends Data.TaggedError("InboxOverloaded")<{
  readonly backlog: number
  readonly retryAfterSeconds: number
}> {}

export interface AppendResult {
  readonly accepted: number
  readonly duplicates: number
}

interface Request {
  readonly events: ReadonlyArray<NormalizedEvent>
  readonly orgless: boolean
  readonly done: Deferred.Deferred<AppendResult>
}

const encodeEvent = Schema.encodeSync(NormalizedEventSchema)

/** At most this many requests share one INSERT; a larger group waits for the next commit. */
const maxRequestsPerCommit = 512

/**
 * The durable front door. Requests that arrive while a commit is in flight queue up and share the
 * next one: one multi-row INSERT … ON CONFLICT DO NOTHING, one commit, and every caller answered
 * after it. When the pipeline is far behind, new requests are refused instead of queued.
 */
export class Inbox extends Effect.Service<Inbox>()("Sendtrail/Inbox", {
  scoped: Effect.gen(function* () {
    const repo = yield* InboxRepository
    const { inboxMaxBacklog } = yield* AppConfig
    const backlog = yield* Ref.make((yield* repo.backlog()).pending)
    const requests = yield* Queue.unbounded<Request>()
    // Every worker waiting for rows wakes on the next commit that adds some.
    const newRows = yield* Ref.make(yield* Deferred.make<void>())
    const wakeAll = Effect.flatMap(Deferred.make<void>(), (next) =>
      Effect.flatMap(Ref.getAndSet(newRows, next), (woken) => Deferred.succeed(woken, undefined)))

    const commit = (group: ReadonlyArray<Request>) =>
      Effect.gen(function* () {
        const rows = group.flatMap((r) => r.events.map((event) => ({
          orgId: event.orgId, provider: event.provider, providerEventId: event.providerEventId,
          bucket: KeyOwnership.bucketOf(contactKey(event)), event: encodeEvent(event), orgless: r.orgless
        })))
        const inserted = yield* repo.append(rows, yield* DateTime.now)
        yield* Ref.update(backlog, (n) => n + inserted.size)
        const credited = new Set<string>()
        for (const request of group) {
          let accepted = 0
          for (const event of request.events) {
            const key = eventKey(event)
            if (inserted.has(key) && !credited.has(key)) {
              credited.add(key)
              accepted++
            }
          }
          yield* Deferred.succeed(request.done, { accepted, duplicates: request.events.length - accepted })
        }
        if (inserted.size > 0) yield* wakeAll
      }).pipe(
        Effect.catchAllCause((cause) => Effect.forEach(group, (r) => Deferred.failCause(r.done, cause), { discard: true }))
      )

    // Other instances apply rows too (or only they do, with PIPELINE_ENABLED=false): recount now and then.
    const recount = Effect.flatMap(repo.backlog(), (b) => Ref.set(backlog, b.pending)).pipe(
      Effect.catchAllCause((cause) => Effect.logWarning("inbox backlog recount failed", cause))
    )
    yield* Effect.forkScoped(Effect.forever(Effect.zipRight(Effect.sleep(Duration.seconds(5)), recount)))

    yield* Effect.forkScoped(Effect.forever(
      Effect.gen(function* () {
        const first = yield* Queue.take(requests)
        const rest = yield* Queue.takeUpTo(requests, maxRequestsPerCommit - 1)
        yield* commit([first, ...rest])
      })
    ))

    /**
     * `orgless`: the events come from a route that names no org (they carry the default org for now);
     * the pipeline, not the ack, finds whose they are (docs/api.md, "Events that name no org").
     */
    const append = Effect.fnUntraced(function* (events: ReadonlyArray<NormalizedEvent>, orgless = false) {
      const pending = yield* Ref.get(backlog)
      if (pending >= inboxMaxBacklog) return yield* new InboxOverloaded({ backlog: pending, retryAfterSeconds: 5 })
      const done = yield* Deferred.make<AppendResult>()
      yield* Queue.offer(requests, { events, orgless, done })
      return yield* Deferred.await(done)
    })

    return {
      append,
      /** The pipeline reports what it finished, so the backlog bound follows the real backlog. */
      processed: (count: number) => Ref.update(backlog, (n) => Math.max(0, n - count)),
      backlog: Ref.get(backlog),
      /** Resolves after the next commit that adds rows. */
      awaitNewRows: Effect.flatMap(Ref.get(newRows), Deferred.await),
      wake: Effect.asVoid(wakeAll)
    } as const
  })
}) {}
