import { describe, expect, it } from "@effect/vitest"
import { Cause, Deferred, Duration, Effect, Exit, Fiber, Ref, TestClock } from "effect"
import * as KeyedActors from "../../src/actors/KeyedActors.js"

const options = { name: "test", mailboxCapacity: 16, idleTimeToLive: Duration.seconds(30), maxActors: 100 }

/** An actor that appends what it is sent to a log per key, reloading its count from "storage" on start. */
const recorder = (log: Ref.Ref<ReadonlyArray<string>>, loads: Ref.Ref<number>) => ({
  load: (_key: string) => Effect.as(Ref.update(loads, (n) => n + 1), 0),
  handle: (seen: number, message: string, key: string) =>
    Effect.gen(function* () {
      if (message === "explode") return yield* Effect.die(new Error("boom"))
      if (message === "refuse") return yield* Effect.fail("refused" as const)
      // Give way a varying number of times so that keys interleave.
      for (let i = 0; i < (message.length * 7) % 5; i++) yield* Effect.yieldNow()
      yield* Ref.update(log, (entries) => [...entries, `${key}:${message}`])
      return [seen + 1, seen + 1] as const
    })
})

describe("keyed actors", () => {
  it.live("messages for one key are handled in the order they were sent, keys in parallel", () =>
    Effect.gen(function* () {
      const log = yield* Ref.make<ReadonlyArray<string>>([])
      const actors = yield* KeyedActors.make(options, recorder(log, yield* Ref.make(0)))
      const messages = Array.from({ length: 30 }, (_, i) => i)
      yield* Effect.forEach(["a", "b", "c"], (key) =>
        Effect.forEach(messages, (i) => actors.ask(key, `m${i}`), { discard: true }), { concurrency: "unbounded", discard: true })
      const entries = yield* Ref.get(log)
      for (const key of ["a", "b", "c"]) {
        expect(entries.filter((e) => e.startsWith(`${key}:`))).toEqual(messages.map((i) => `${key}:m${i}`))
      }
      const firstOfB = entries.indexOf("b:m0")
      const lastOfA = entries.indexOf("a:m29")
      expect(firstOfB).toBeLessThan(lastOfA)
    }).pipe(Effect.scoped))

  it.live("messages sent concurrently to one key are still handled one at a time", () =>
    Effect.gen(function* () {
      const inFlight = yield* Ref.make(0)
      const maxInFlight = yield* Ref.make(0)
      const actors = yield* KeyedActors.make(options, {
        load: () => Effect.succeed(undefined),
        handle: (state: undefined) =>
          Effect.gen(function* () {
            const now = yield* Ref.updateAndGet(inFlight, (n) => n + 1)
            yield* Ref.update(maxInFlight, (m) => Math.max(m, now))
            yield* Effect.sleep(Duration.millis(1))
            yield* Ref.update(inFlight, (n) => n - 1)
            return [undefined, state] as const
          })
      })
      yield* Effect.forEach(Array.from({ length: 20 }), () => actors.ask("k", "x"), { concurrency: "unbounded", discard: true })
      expect(yield* Ref.get(maxInFlight)).toBe(1)
    }).pipe(Effect.scoped))

  it.effect("a defect fails that message, restarts that actor from storage, and leaves other keys alone", () =>
    Effect.gen(function* () {
      const log = yield* Ref.make<ReadonlyArray<string>>([])
      const loads = yield* Ref.make(0)
      const actors = yield* KeyedActors.make(options, recorder(log, loads))
      expect(yield* actors.ask("a", "one")).toBe(1)
      expect(yield* actors.ask("b", "one")).toBe(1)
      const exploded = yield* Effect.exit(actors.ask("a", "explode"))
      expect(Exit.isFailure(exploded) && Cause.pretty(exploded.cause)).toMatch(/boom/)
      const refused = yield* Effect.exit(actors.ask("b", "refuse"))
      expect(refused).toEqual(Exit.fail("refused"))
      // "a" restarted with state reloaded (count back to 0); "b" kept its state through a typed failure.
      expect(yield* actors.ask("a", "two")).toBe(1)
      expect(yield* actors.ask("b", "two")).toBe(2)
      expect(yield* Ref.get(loads)).toBe(3)
    }).pipe(Effect.scoped))

  it.effect("an actor idle for its time to live passivates, and the next message starts it again", () =>
    Effect.gen(function* () {
      const loads = yield* Ref.make(0)
      const actors = yield* KeyedActors.make(options, recorder(yield* Ref.make<ReadonlyArray<string>>([]), loads))
      yield* actors.ask("a", "one")
      expect(yield* actors.liveActors).toBe(1)
      yield* TestClock.adjust(Duration.seconds(29))
      expect(yield* actors.liveActors).toBe(1)
      yield* TestClock.adjust(Duration.seconds(2))
      expect(yield* actors.liveActors).toBe(0)
      expect(yield* actors.ask("a", "two")).toBe(1)
      expect(yield* Ref.get(loads)).toBe(2)
    }).pipe(Effect.scoped))

  it.effect("the number of live actors stays bounded: idle ones make room, busy ones make a new key wait", () =>
    Effect.gen(function* () {
      const gate = yield* Deferred.make<void>()
      const actors = yield* KeyedActors.make({ ...options, maxActors: 2 }, {
        load: () => Effect.succeed(undefined),
        handle: (state: undefined, message: string) =>
          Effect.as(message === "wait" ? Deferred.await(gate) : Effect.void, [message, state] as const)
      })
      yield* actors.ask("a", "x")
      yield* actors.ask("b", "x")
      yield* actors.ask("c", "x")
      expect(yield* actors.liveActors).toBe(2)
      const busyB = yield* Effect.fork(actors.ask("b", "wait"))
      const busyC = yield* Effect.fork(actors.ask("c", "wait"))
      yield* TestClock.adjust(Duration.millis(1))
      const waiting = yield* Effect.fork(actors.ask("d", "x"))
      yield* TestClock.adjust(Duration.millis(5))
      expect(waiting.unsafePoll()).toBeNull()
      expect(yield* actors.liveActors).toBe(2)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(busyB)
      yield* Fiber.join(busyC)
      yield* TestClock.adjust(Duration.millis(5))
      expect(yield* Fiber.join(waiting)).toBe("x")
      expect(yield* actors.liveActors).toBe(2)
    }).pipe(Effect.scoped))
})
