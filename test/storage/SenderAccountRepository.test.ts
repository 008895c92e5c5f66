import { expect, layer } from "@effect/vitest"
import { DateTime, Effect, Layer, Option } from "effect"
import type { SenderMetric } from "../../src/domain/Records.js"
import { SenderAccountRepository } from "../../src/storage/SenderAccountRepository.js"
import { sqlBackends } from "../support/databases.js"

const backends = [
  ...sqlBackends.map((b) => ({ name: b.name, layer: SenderAccountRepository.Default.pipe(Layer.provide(b.layer)) }))
]

const at = DateTime.unsafeMake("2026-03-01T10:00:00Z")
const policy = { maxBounceRate: 0.03, maxComplaintRate: 0.001, minimumSample: 100 }
const count = (id: string, metric: SenderMetric, by: number, minutes = 0) =>
  Effect.flatMap(SenderAccountRepository, (repo) =>
    repo.count({ id, orgId: `org-${id}`, metric, by, at: DateTime.add(at, { minutes }), policy }))

for (const backend of backends) {
  layer(backend.layer)(`SenderAccountRepository (${backend.name})`, (it) => {
    it.effect("count creates the account and keeps each rate a ratio of sends", () =>
      Effect.gen(function* () {
        const repo = yield* SenderAccountRepository
        const first = yield* repo.count({ id: "s-rates", orgId: "org-s-rates", metric: "bounced", at, policy })
        expect(first).toMatchObject({ sent: 0, bounced: 1, bounceRate: 0, flaggedAt: null, updatedAt: at })
        yield* count("s-rates", "sent", 200, 1)
        yield* count("s-rates", "delivered", 190, 2)
        const account = yield* count("s-rates", "bounced", 4, 3)
        expect(account).toMatchObject({ orgId: "org-s-rates", sent: 200, delivered: 190, bounced: 5, complained: 0 })
        expect(account.bounceRate).toBe(0.025)
        expect(account.complaintRate).toBe(0)
        expect(account.flaggedAt).toBeNull()
        expect(account.updatedAt).toEqual(DateTime.add(at, { minutes: 3 }))
        expect(yield* repo.findById("s-rates")).toEqual(Option.some(account))
      }))

    it.effect("a bounce rate exactly at the threshold does not flag; one bounce more does", () =>
      Effect.gen(function* () {
        yield* count("s-edge", "sent", 100)
        const atThreshold = yield* count("s-edge", "bounced", 3, 1)
        expect(atThreshold.bounceRate).toBe(0.03)
        expect(atThreshold.flaggedAt).toBeNull()
        const over = yield* count("s-edge", "bounced", 1, 2)
        expect(over.flaggedAt).toEqual(DateTime.add(at, { minutes: 2 }))
        expect(over.flaggedReason).toBe("bounce rate 4.00% exceeds 3.00% over 100 sends")
      }))

    it.effect("below the minimum sample nothing is flagged, and the send that reaches it can flag", () =>
      Effect.gen(function* () {
        yield* count("s-sample", "sent", 99)
        const small = yield* count("s-sample", "bounced", 50, 1)
        expect(small.bounceRate).toBeCloseTo(50 / 99)
        expect(small.flaggedAt).toBeNull()
        const reached = yield* count("s-sample", "sent", 1, 2)
        expect(reached.flaggedAt).toEqual(DateTime.add(at, { minutes: 2 }))
        expect(reached.flaggedReason).toBe("bounce rate 50.00% exceeds 3.00% over 100 sends")
      }))

    it.effect("complaints flag too, and a flag keeps its first time and reason until unflagged", () =>
      Effect.gen(function* () {
        const repo = yield* SenderAccountRepository
        yield* count("s-flag", "sent", 1000)
        expect((yield* count("s-flag", "complained", 1, 1)).flaggedAt).toBeNull()
        const flagged = yield* count("s-flag", "complained", 1, 2)
        expect(flagged.flaggedReason).toBe("complaint rate 0.20% exceeds 0.10% over 1000 sends")
        const later = yield* count("s-flag", "bounced", 100, 3)
        expect([later.flaggedAt, later.flaggedReason]).toEqual([flagged.flaggedAt, flagged.flaggedReason])
        const unflagged = Option.getOrThrow(yield* repo.unflag("s-flag", DateTime.add(at, { minutes: 4 })))
        expect([unflagged.flaggedAt, unflagged.flaggedReason]).toEqual([null, null])
        expect(unflagged.updatedAt).toEqual(DateTime.add(at, { minutes: 4 }))
        expect(yield* repo.unflag("s-flag", DateTime.add(at, { minutes: 5 }))).toEqual(Option.some(unflagged))
        const again = yield* count("s-flag", "sent", 1, 6)
        expect(again.flaggedAt).toEqual(DateTime.add(at, { minutes: 6 }))
        expect(again.flaggedReason).toBe("bounce rate 9.99% exceeds 3.00% over 1001 sends")
        expect(yield* repo.unflag("s-unknown", at)).toEqual(Option.none())
      }))

    it.effect("concurrent counts are all added", () =>
      Effect.gen(function* () {
        const results = yield* Effect.all(Array.from({ length: 20 }, () => count("s-concurrent", "sent", 1)), {
          concurrency: "unbounded"
        })
        expect(Math.max(...results.map((a) => a.sent))).toBe(20)
        expect(new Set(results.map((a) => a.sent)).size).toBe(20)
      }))

    it.effect("list returns an org's accounts, or every org's", () =>
      Effect.gen(function* () {
        const repo = yield* SenderAccountRepository
        for (const [id, orgId] of [["s-list-b", "org-list"], ["s-list-a", "org-list"], ["s-list-c", "org-list-2"]] as const) {
          yield* repo.count({ id, orgId, metric: "sent", at, policy })
        }
        expect((yield* repo.list("org-list")).map((a) => a.id)).toEqual(["s-list-a", "s-list-b"])
        const everyone = yield* repo.list(undefined)
        expect(everyone.map((a) => a.id)).toEqual(expect.arrayContaining(["s-list-a", "s-list-b", "s-list-c"]))
        expect(yield* repo.findById("s-none")).toEqual(Option.none())
      }))

    it.effect("a batch's counts add to several accounts at once, and the sums decide rates and flags", () =>
      Effect.gen(function* () {
        const repo = yield* SenderAccountRepository
        const counts = (id: string, sent: number, bounced: number) => ({ id, orgId: "org-many", sent, delivered: 0, bounced, complained: 0 })
        yield* repo.addCounts([counts("s-many-a", 60, 1), counts("s-many-b", 60, 0)], at, policy)
        const flagged = yield* repo.addCounts([counts("s-many-a", 40, 3), counts("s-many-b", 40, 1)], at, policy)
        expect(flagged.map((a) => [a.id, a.sent, a.bounced, a.bounceRate, a.flaggedReason])).toEqual([
          ["s-many-a", 100, 4, 0.04, "bounce rate 4.00% exceeds 3.00% over 100 sends"],
          ["s-many-b", 100, 1, 0.01, null]
        ])
      }))
  })
}
