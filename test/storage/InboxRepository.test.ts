import { expect, layer } from "@effect/vitest"
import * as SqlClient from "@effect/sql/SqlClient"
import { DateTime, Deferred, Effect, Fiber, Layer } from "effect"
import { InboxRepository } from "../../src/storage/InboxRepository.js"
import { sqlBackends } from "../support/databases.js"

const t0 = DateTime.unsafeMake("2026-04-01T12:00:00Z")
const later = (seconds: number) => DateTime.add(t0, { seconds })
const event = (provider: string, id: string, bucket = 0, orgless = false) =>
  ({ orgId: "org-inbox", provider, providerEventId: id, bucket, event: { id, provider, nested: { ok: true } }, orgless })
const providerOf = (entry: { readonly event: unknown }) => (entry.event as { provider: string }).provider

const backends = [
  ...sqlBackends.map((b) => ({ name: b.name, layer: InboxRepository.Default.pipe(Layer.provideMerge(b.layer)) }))
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

    it.effect("an event from a route that names no org is claimed as pending its org match; the others carry none", () =>
      Effect.gen(function* () {
        const inbox = yield* InboxRepository
        yield* inbox.append([event("p-orgless", "1", 0, true), event("p-orgless", "2", 0, false)], t0)
        const rows = (yield* inbox.claim({ limit: 1000, share: 0, shares: 1 }, later(1))).filter((r) => providerOf(r) === "p-orgless")
        expect(rows.map((r) => [(r.event as { id: string }).id, r.orgMatch])).toEqual([["1", "pending"], ["2", null]])
        yield* inbox.complete(rows.map((r) => r.id), later(2))
      }))

    it.effect("claim takes the oldest available rows of its share of the buckets, in id order; finished rows never again", () =>
      Effect.gen(function* () {
        const inbox = yield* InboxRepository
        yield* inbox.append([event("p-claim", "1", 0), event("p-claim", "2", 1), event("p-claim", "3", 2), event("p-claim", "4", 3)], t0)
        const mine = <A extends { readonly event: unknown }>(rows: ReadonlyArray<A>) => rows.filter((r) => providerOf(r) === "p-claim")
        const even = mine(yield* inbox.claim({ limit: 1000, share: 0, shares: 2 }, later(1)))
        const odd = mine(yield* inbox.claim({ limit: 1000, share: 1, shares: 2 }, later(1)))
        expect(even.map((e) => (e.event as { id: string }).id)).toEqual(["1", "3"])
        expect(odd.map((e) => (e.event as { id: string }).id)).toEqual(["2", "4"])
        expect(even[0]!.event).toEqual({ id: "1", provider: "p-claim", nested: { ok: true } })
        expect(mine(yield* inbox.claim({ ids: [odd[1]!.id, even[0]!.id] }, later(1))).map((e) => e.id)).toEqual([even[0]!.id, odd[1]!.id])
        yield* inbox.complete([...even, ...odd].map((e) => e.id), later(3))
        expect(mine(yield* inbox.claim({ limit: 1000, share: 0, shares: 1 }, later(4)))).toEqual([])
      }))

    it.effect("a claim holds its rows until its transaction ends: a concurrent claim skips them, a later one takes them", () =>
      Effect.gen(function* () {
        const inbox = yield* InboxRepository
        const sql = yield* SqlClient.SqlClient
        yield* inbox.append([event("p-lock", "1"), event("p-lock", "2")], t0)
        const mine = <A extends { readonly event: unknown }>(rows: ReadonlyArray<A>) => rows.filter((r) => providerOf(r) === "p-lock")
        const claimed = yield* Deferred.make<number>()
        const release = yield* Deferred.make<void>()
        const holder = yield* Effect.fork(sql.withTransaction(Effect.gen(function* () {
          yield* Deferred.succeed(claimed, mine(yield* inbox.claim({ limit: 1000, share: 0, shares: 1 }, later(1))).length)
          yield* Deferred.await(release)
        })))
        expect(yield* Deferred.await(claimed)).toBe(2)
        expect(mine(yield* sql.withTransaction(inbox.claim({ limit: 1000, share: 0, shares: 1 }, later(1))))).toEqual([])
        yield* Deferred.succeed(release, undefined)
        yield* Fiber.join(holder)
        const after = mine(yield* inbox.claim({ limit: 1000, share: 0, shares: 1 }, later(2)))
        expect(after).toHaveLength(2)
        yield* inbox.complete(after.map((e) => e.id), later(3))
      }))

    it.effect("a failed row counts its attempts and comes back after its retry time; requeue resets it; backlog counts the rest", () =>
      Effect.gen(function* () {
        const inbox = yield* InboxRepository
        const before = yield* inbox.backlog()
        yield* inbox.append([event("p-fail", "x")], later(100))
        expect((yield* inbox.backlog()).pending).toBe(before.pending + 1)
        const claim = (at: number) => Effect.map(inbox.claim({ limit: 1000, share: 0, shares: 1 }, later(at)), (rows) => rows.filter((r) => providerOf(r) === "p-fail"))
        const [entry] = yield* claim(101)
        expect(entry).toBeDefined()
        expect(yield* inbox.fail(entry!.id, "boom", later(110))).toBe(1)
        expect(yield* claim(105)).toEqual([])
        const [again] = yield* claim(110)
        expect(again?.id).toBe(entry!.id)
        expect(again?.attempts).toBe(1)
        yield* inbox.complete([entry!.id], later(111))
        expect(yield* inbox.requeue(entry!.id, later(112))).toBe(true)
        const [requeued] = yield* claim(112)
        expect(requeued?.attempts).toBe(0)
        yield* inbox.complete([entry!.id], later(113))
        expect((yield* inbox.backlog()).pending).toBe(before.pending)
      }))
  })
}
