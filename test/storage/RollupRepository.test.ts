import { expect, layer } from "@effect/vitest"
import { DateTime, Effect, Layer, Option } from "effect"
import { emptyCounters } from "../../src/domain/Rollup.js"
import { RollupRepository } from "../../src/storage/RollupRepository.js"
import { sqlBackends } from "../support/databases.js"

const backends = [
  ...sqlBackends.map((b) => ({ name: b.name, layer: RollupRepository.Default.pipe(Layer.provide(b.layer)) }))
]

const day = DateTime.unsafeMake("2026-03-01T10:00:00Z")

for (const backend of backends) {
  layer(backend.layer)(`RollupRepository (${backend.name})`, (it) => {
    it.effect("increment adds its deltas to the day and to the broadcast", () =>
      Effect.gen(function* () {
        const repo = yield* RollupRepository
        const input = { orgId: "org-inc", broadcastId: "b-inc", channel: "email", day } as const
        yield* repo.increment({ ...input, counters: { sent: 1, delivery_ms_total: 1500, delivery_ms_count: 1 } })
        yield* repo.increment({ ...input, counters: { sent: 1, delivered: 1, opened_total: 3 } })
        yield* repo.increment({ ...input, counters: {} })
        const expected = { ...emptyCounters, sent: 2, delivered: 1, opened_total: 3, delivery_ms_total: 1500, delivery_ms_count: 1 }
        expect(yield* repo.forBroadcast("b-inc")).toEqual(Option.some(expected))
        expect(yield* repo.daily("org-inc", day, day)).toEqual([{ day: "2026-03-01", channel: "email", counters: expected }])
      }))

    it.effect("increment without a broadcast counts only the day", () =>
      Effect.gen(function* () {
        const repo = yield* RollupRepository
        yield* repo.increment({ orgId: "org-nob", broadcastId: null, channel: "sms", day, counters: { failed: 2 } })
        expect(yield* repo.forBroadcast("b-nob")).toEqual(Option.none())
        expect(yield* repo.daily("org-nob", day, day)).toEqual([
          { day: "2026-03-01", channel: "sms", counters: { ...emptyCounters, failed: 2 } }
        ])
      }))

    it.effect("daily lists the UTC days in the range, both ends included, by channel", () =>
      Effect.gen(function* () {
        const repo = yield* RollupRepository
        const count = (iso: string, channel: "email" | "sms") =>
          repo.increment({ orgId: "org-days", broadcastId: null, channel, day: DateTime.unsafeMake(iso), counters: { sent: 1 } })
        yield* count("2026-02-28T23:59:59Z", "email")
        yield* count("2026-03-01T00:00:00Z", "sms")
        yield* count("2026-03-01T23:59:59.999Z", "email")
        yield* count("2026-03-02T00:00:00Z", "email")
        yield* count("2026-03-03T12:00:00Z", "email")
        const from = DateTime.unsafeMake("2026-03-01T18:00:00Z")
        const to = DateTime.unsafeMake("2026-03-02T01:00:00Z")
        const rows = yield* repo.daily("org-days", from, to)
        expect(rows.map((r) => [r.day, r.channel, r.counters.sent])).toEqual([
          ["2026-03-01", "email", 1],
          ["2026-03-01", "sms", 1],
          ["2026-03-02", "email", 1]
        ])
        const sms = yield* repo.daily("org-days", from, to, "sms")
        expect(sms.map((r) => r.day)).toEqual(["2026-03-01"])
        expect(yield* repo.daily("org-days-2", from, to)).toEqual([])
      }))

    it.effect("concurrent increments are all counted", () =>
      Effect.gen(function* () {
        const repo = yield* RollupRepository
        const counters = { clicked: 1, clicked_human: 1 }
        const click = { orgId: "org-race", broadcastId: "b-race", channel: "push", day, counters } as const
        yield* Effect.all(
          Array.from({ length: 12 }, () => repo.increment(click)),
          { concurrency: "unbounded" }
        )
        const total = Option.getOrThrow(yield* repo.forBroadcast("b-race"))
        expect([total.clicked, total.clicked_human]).toEqual([12, 12])
        const [daily] = yield* repo.daily("org-race", day, day)
        expect(daily?.counters).toEqual(total)
      }))

    it.effect("a batch's increments add up per org, day and channel and per broadcast, in one call", () =>
      Effect.gen(function* () {
        const repo = yield* RollupRepository
        const org = "org-many"
        const input = (counters: Record<string, number>, broadcastId: string | null = "b-many", channel: "email" | "sms" = "email") =>
          ({ orgId: org, broadcastId, channel, day: "2026-03-01", counters })
        yield* repo.incrementMany([input({ sent: 1, delivered: 1 }), input({ sent: 1, opened_total: 2 }), input({ failed: 1 }, null), input({ sent: 5 }, null, "sms")])
        yield* repo.incrementMany([input({ sent: 1 })])
        const days = yield* repo.daily(org, day, day)
        expect(days.map((d) => [d.channel, d.counters.sent, d.counters.delivered, d.counters.opened_total, d.counters.failed]))
          .toEqual([["email", 3, 1, 2, 1], ["sms", 5, 0, 0, 0]])
        expect(Option.map(yield* repo.forBroadcast("b-many"), (c) => [c.sent, c.delivered, c.opened_total, c.failed])).toEqual(Option.some([3, 1, 2, 0]))
      }))
  })
}
