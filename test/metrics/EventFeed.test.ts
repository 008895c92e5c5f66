import { expect, it } from "@effect/vitest"
import { DateTime, Effect, Option, Queue } from "effect"
import type { NormalizedEvent } from "../../src/domain/Event.js"
import { EventFeed } from "../../src/metrics/EventFeed.js"

const event = (orgId: string, n: number): NormalizedEvent => ({
  orgId, provider: "generic", providerEventId: `evt-${n}`, providerMessageId: `msg-${n}`, recipient: "ada@example.com",
  channel: "email", type: "delivered", occurredAt: DateTime.unsafeMake(0), details: {}
})

it.scoped("events reach the subscribers of their org only, in order", () =>
  Effect.gen(function* () {
    const feed = yield* EventFeed
    const acme = yield* feed.subscribe("acme")
    const globex = yield* feed.subscribe("globex")
    yield* feed.publish(event("acme", 1))
    yield* feed.publish(event("globex", 2))
    yield* feed.publish(event("acme", 3))
    expect((yield* Queue.takeAll(acme)).pipe((chunk) => [...chunk].map((e) => e.providerEventId))).toEqual(["evt-1", "evt-3"])
    expect([...(yield* Queue.takeAll(globex))].map((e) => e.providerEventId)).toEqual(["evt-2"])
  }).pipe(Effect.provide(EventFeed.Default)))

it.scoped("a stalled subscriber never blocks publishing: it is dropped once its queue is full", () =>
  Effect.gen(function* () {
    const feed = yield* EventFeed
    const stalled = yield* feed.subscribe("acme", 10)
    const live = yield* feed.subscribe("acme", 100_000)
    // Nobody takes from `stalled`; 10,000 publishes must all complete at once.
    const published = yield* Effect.forEach(Array.from({ length: 10_000 }, (_, n) => n), (n) => feed.publish(event("acme", n)), { discard: true }).pipe(
      Effect.timeoutOption("2 seconds")
    )
    expect(Option.isSome(published)).toBe(true)
    expect(yield* Queue.isShutdown(stalled)).toBe(true)
    expect(yield* Queue.size(live)).toBe(10_000)
    expect(yield* feed.subscribers).toBe(1)
  }).pipe(Effect.provide(EventFeed.Default)))

it.effect("a subscription ends with its scope", () =>
  Effect.gen(function* () {
    const feed = yield* EventFeed
    const queue = yield* Effect.scoped(feed.subscribe("acme"))
    expect(yield* feed.subscribers).toBe(0)
    expect(yield* Queue.isShutdown(queue)).toBe(true)
    yield* feed.publish(event("acme", 1))
  }).pipe(Effect.provide(EventFeed.Default)))
