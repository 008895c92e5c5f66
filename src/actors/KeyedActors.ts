import type { Duration, Scope } from "effect"
import { Cause, Deferred, Effect, Exit, Fiber, Option, Queue } from "effect"

export interface ActorBehaviour<S, M, A, E> {
  /** Loads the actor's state, at start and again after a defect: state lives in SQL, not here. */
  readonly load: (key: string) => Effect.Effect<S>
  /** Handles one message; a typed failure answers the asker, a defect also restarts the actor. */
  readonly handle: (state: S, message: M, key: string) => Effect.Effect<readonly [A, S], E>
}

export interface KeyedActorsOptions {
  readonly name: string
  readonly mailboxCapacity: number
  readonly idleTimeToLive: Duration.DurationInput
  readonly maxActors: number
}

export interface KeyedActors<M, A, E> {
  /** Sends a message to the key's actor and waits for its answer; waits for room when the mailbox is full. */
  readonly ask: (key: string, message: M) => Effect.Effect<A, E>
  readonly liveActors: Effect.Effect<number>
}

interface Envelope<M, A, E> {
  readonly message: M
  readonly reply: Deferred.Deferred<A, E>
}

interface Actor<M, A, E> {
  readonly mailbox: Queue.Queue<Envelope<M, A, E>>
  /** Asks that hold this actor; it passivates or is evicted only at zero. */
  pending: number
  /** A tick of the system's own counter, for choosing the least recently active actor. */
  lastActive: number
  fiber: Fiber.RuntimeFiber<void> | undefined
}

/**
 * One fiber per key, each with a bounded mailbox: messages for a key are handled in order, keys in
 * parallel. An actor idle for `idleTimeToLive` passivates; at `maxActors` the least recently active
 * idle actor is evicted to make room, and when none is idle a new key waits.
 */
export const make = <S, M, A, E>(
  options: KeyedActorsOptions,
  behaviour: ActorBehaviour<S, M, A, E>
): Effect.Effect<KeyedActors<M, A, E>, never, Scope.Scope> =>
  Effect.gen(function* () {
    const scope = yield* Effect.scope
    const actors = new Map<string, Actor<M, A, E>>()
    let tick = 0

    const failPending = (actor: Actor<M, A, E>, reason: string) =>
      Effect.flatMap(Queue.takeAll(actor.mailbox), (envelopes) =>
        Effect.forEach(envelopes, (e) => Deferred.die(e.reply, new Error(reason)), { discard: true }))

    const run = (key: string, actor: Actor<M, A, E>): Effect.Effect<void> =>
      Effect.gen(function* () {
        let state = yield* behaviour.load(key)
        while (true) {
          const next = yield* Queue.take(actor.mailbox).pipe(Effect.timeoutOption(options.idleTimeToLive))
          if (Option.isNone(next)) {
            const idle = yield* Effect.sync(() => {
              if (actor.pending > 0 || actors.get(key) !== actor) return false
              actors.delete(key)
              return true
            })
            if (idle) return
            continue
          }
          const envelope = next.value
          const exit = yield* Effect.exit(behaviour.handle(state, envelope.message, key))
          actor.lastActive = ++tick
          if (Exit.isSuccess(exit)) {
            state = exit.value[1]
            yield* Deferred.succeed(envelope.reply, exit.value[0])
          } else {
            yield* Deferred.failCause(envelope.reply, exit.cause)
            if (Cause.isDie(exit.cause)) {
              yield* Effect.logError(`${options.name} actor ${key} restarted after a defect`, exit.cause)
              state = yield* behaviour.load(key)
            }
          }
        }
      }).pipe(
        Effect.onExit(() =>
          Effect.suspend(() => {
            if (actors.get(key) === actor) actors.delete(key)
            return failPending(actor, `${options.name} actor ${key} stopped`)
          })
        ),
        // Started from inside `ask`'s uninterruptible acquire; the actor itself must stay interruptible.
        Effect.interruptible
      )

    const evictIdle = Effect.suspend(() => {
      let victim: [string, Actor<M, A, E>] | undefined
      for (const entry of actors) {
        if (entry[1].pending === 0 && (victim === undefined || entry[1].lastActive < victim[1].lastActive)) victim = entry
      }
      if (victim === undefined) return Effect.succeed(false)
      actors.delete(victim[0])
      const fiber = victim[1].fiber
      return Effect.as(fiber ? Fiber.interruptFork(fiber) : Effect.void, true)
    })

    /**
     * Finds or starts the key's actor and counts the caller in. The lookup and the count happen in
     * one synchronous step, so an actor never passivates between being found and being used.
     */
    const acquire = (key: string): Effect.Effect<Actor<M, A, E>> =>
      Effect.suspend(() => {
        const existing = actors.get(key)
        if (existing !== undefined) {
          existing.pending++
          return Effect.succeed(existing)
        }
        if (actors.size >= options.maxActors) {
          return Effect.flatMap(evictIdle, (evicted) => evicted ? acquire(key) : Effect.zipRight(Effect.sleep(1), acquire(key)))
        }
        return Effect.flatMap(Queue.bounded<Envelope<M, A, E>>(options.mailboxCapacity), (mailbox) =>
          Effect.suspend(() => {
            if (actors.has(key) || actors.size >= options.maxActors) return Effect.zipRight(Queue.shutdown(mailbox), acquire(key))
            const actor: Actor<M, A, E> = { mailbox, pending: 1, lastActive: ++tick, fiber: undefined }
            actors.set(key, actor)
            return Effect.map(Effect.forkIn(run(key, actor), scope), (fiber) => {
              actor.fiber = fiber
              return actor
            })
          }))
      })

    const ask = (key: string, message: M): Effect.Effect<A, E> =>
      Effect.acquireUseRelease(
        acquire(key),
        (actor) =>
          Effect.flatMap(Deferred.make<A, E>(), (reply) =>
            Effect.zipRight(Queue.offer(actor.mailbox, { message, reply }), Deferred.await(reply))),
        (actor) => Effect.sync(() => void actor.pending--)
      )

    return { ask, liveActors: Effect.sync(() => actors.size) }
  })
