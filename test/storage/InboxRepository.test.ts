import { expect, layer } from "@effect/vitest"
import { DateTime, Effect, Layer } from "effect"
import { InboxRepository } from "../../src/storage/InboxRepository.js"
import { sqlBackends } from "../support/databases.js"

const t0 = DateTime.unsafeMake("2026-04-01T12:00:00Z")
const later = (seconds: number) => DateTime.add(t0, { seconds })
const event = (provider: string, id: string) => ({ orgId: "org-inbox", provider, providerEventId: id, event: { id, nested: { ok: true } } })

const backends = [
  ...sqlBackends.map((b) => ({ name: b.name, layer: InboxRepository.Default.pipe(Layer.provide(b.layer)) }))
]

// Each test uses its own provider name: the inbox is shared by every test of a backend.
for (const backend of backends) {
  layer(backend.layer)(`InboxRepository (${backend.name})`, (it) => {
    it.effect("append stores each (provider, event id) once and says which were new", () =>
      Effect.gen(function* () {
        const inbox = yield* InboxRepository
        const first = yield* inbox.append([event("p-append", "a"), event("p-append", "b"), event("p-append", "a")], t0)
        expect([...first].sort()).toEqual(["p-append:a", "p-append:b"])
        const second = yield* inbox.append([event("p-append", "b"), event("p-append", "c"), event("p-other", "b")], t0)
        expect([...second].sort()).toEqual(["p-append:c", "p-other:b"])
      }))

    it.effect("claim leases the oldest available rows; completed and leased rows are not claimed again", () =>
      Effect.gen(function* () {
        const inbox = yield* InboxRepository
        yield* inbox.append([event("p-claim", "1"), event("p-claim", "2"), event("p-claim", "3")], t0)
        const all = yield* inbox.claim(1000, later(1), later(31))
        const mine = all.filter((e) => (e.event as { id: string }).id.length === 1)
        expect(mine.length).toBeGreaterThanOrEqual(3)
        expect(mine.map((e) => e.id)).toEqual([...mine.map((e) => e.id)].sort((a, b) => a - b))
        expect(all.find((e) => JSON.stringify(e.event).includes('"id":"1"'))?.event).toEqual({ id: "1", nested: { ok: true } })
        expect(yield* inbox.claim(1000, later(2), later(32))).toEqual([])
        yield* inbox.complete(all.map((e) => e.id), later(3))
        expect(yield* inbox.claim(1000, later(40), later(70))).toEqual([])
      }))

    it.effect("a failed row counts its attempts and comes back after its retry time; requeue resets it", () =>
      Effect.gen(function* () {
        const inbox = yield* InboxRepository
        yield* inbox.append([event("p-fail", "x")], later(100))
        const [entry] = yield* inbox.claim(1000, later(101), later(131))
        expect(entry).toBeDefined()
        expect(yield* inbox.fail(entry!.id, "boom", later(110))).toBe(1)
        expect(yield* inbox.claim(1000, later(105), later(135))).toEqual([])
        const [again] = yield* inbox.claim(1000, later(110), later(140))
        expect(again?.id).toBe(entry!.id)
        expect(again?.attempts).toBe(1)
        yield* inbox.complete([entry!.id], later(111))
        expect(yield* inbox.requeue(entry!.id, later(112))).toBe(true)
        const [requeued] = yield* inbox.claim(1000, later(112), later(142))
        expect(requeued?.attempts).toBe(0)
        yield* inbox.complete([entry!.id], later(113))
      }))

    it.effect("releaseLeases makes leased rows available at once, and backlog counts what is unprocessed", () =>
      Effect.gen(function* () {
        const inbox = yield* InboxRepository
        const before = yield* inbox.backlog()
        yield* inbox.append([event("p-lease", "1"), event("p-lease", "2")], later(200))
        expect((yield* inbox.backlog()).pending).toBe(before.pending + 2)
        const leased = yield* inbox.claim(1000, later(201), later(900))
        expect(leased.length).toBeGreaterThanOrEqual(2)
        expect(yield* inbox.claim(1000, later(202), later(900))).toEqual([])
        yield* inbox.releaseLeases(later(203))
        const released = yield* inbox.claim(1000, later(203), later(900))
        expect(released.map((e) => e.id)).toEqual(leased.map((e) => e.id))
        yield* inbox.complete(released.map((e) => e.id), later(204))
        expect((yield* inbox.backlog()).pending).toBe(0)
      }))
  })
}
