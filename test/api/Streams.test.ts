import { expect, layer } from "@effect/vitest"
import { DateTime, Effect } from "effect"
import type { EventType } from "../../src/domain/Event.js"
import { Inbox } from "../../src/ingest/Inbox.js"
import { Pipeline } from "../../src/ingest/Pipeline.js"
import { RollupRepository } from "../../src/storage/RollupRepository.js"
import { call, contactsService } from "../support/contactsApi.js"
import { makeEvent } from "../support/events.js"
import { unique } from "../support/providerRoutes.js"

const rule = "a lowercase slug of 1 to 32 characters"

/** Provider events (generic) for the given recipients, applied. */
const apply = (events: ReadonlyArray<{ org: string; type: EventType; recipient: string; message: string; category?: string; at?: DateTime.Utc; broadcastId?: string }>) =>
  Effect.gen(function* () {
    const now = yield* DateTime.now
    yield* (yield* Inbox).append(events.map((e) => makeEvent({
      orgId: e.org, provider: "generic", providerMessageId: e.message, recipient: e.recipient, type: e.type, providerEventId: unique("evt-"),
      occurredAt: e.at ?? now, ...(e.broadcastId === undefined ? {} : { broadcastId: e.broadcastId }),
      details: e.category === undefined ? {} : { category: e.category }
    })))
    yield* (yield* Pipeline).drain
  })

const check = (org: string, addresses: ReadonlyArray<string>, category?: string) =>
  Effect.map(call(org, "/suppressions/check", { json: { channel: "email", addresses, ...(category === undefined ? {} : { category }) } }),
    (reply) => reply.body as { allowed: ReadonlyArray<string> })

layer(contactsService, { excludeTestServices: true })("streams: categories", (it) => {
  it.effect("security can never be unsubscribed from: a provider's unsubscribe of security mail suppresses nothing, a suppression scoped to security is refused", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      yield* apply([
        { org, type: "unsubscribed", recipient: "sec@example.com", message: "m-sec", category: "security" },
        { org, type: "unsubscribed", recipient: "mkt@example.com", message: "m-mkt", category: "marketing" }
      ])
      const list = (yield* call(org, "/suppressions")).body as { items: ReadonlyArray<{ address: string; category: string | null }> }
      expect(list.items.map((s) => [s.address, s.category])).toEqual([["mkt@example.com", "marketing"]])
      expect((yield* check(org, ["sec@example.com", "mkt@example.com"], "security")).allowed).toEqual(["sec@example.com", "mkt@example.com"])
      expect((yield* check(org, ["sec@example.com", "mkt@example.com"], "marketing")).allowed).toEqual(["sec@example.com"])
      const refused = yield* call(org, "/suppressions", { json: { channel: "email", address: "sec@example.com", reason: "unsubscribe", category: "security" } })
      expect(refused).toMatchObject({ status: 400, body: { error: "BadRequest", message: expect.stringContaining("security mail can never be unsubscribed from") } })
      // A whole-channel unsubscribe still lets security mail through.
      expect((yield* call(org, "/suppressions", { json: { channel: "email", address: "sec@example.com", reason: "unsubscribe" } })).status).toBe(201)
      expect((yield* check(org, ["sec@example.com"], "security")).allowed).toEqual(["sec@example.com"])
    }))

  it.effect("an org's own category is a stream like the named ones: broadcasts, unsubscribes and checks scoped to it", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      for (const category of ["billing", "product", "weekly-digest"]) {
        expect(yield* call(org, "/broadcast", { json: { name: category, category } })).toMatchObject({ status: 201, body: { category } })
      }
      yield* apply([{ org, type: "unsubscribed", recipient: "reader@example.com", message: "m-1", category: "weekly-digest" }])
      expect((yield* check(org, ["reader@example.com"], "weekly-digest")).allowed).toEqual([])
      expect((yield* check(org, ["reader@example.com"], "billing")).allowed).toEqual(["reader@example.com"])
      expect((yield* call(org, "/suppressions", { json: { channel: "email", address: "x@example.com", category: "vip_news" } })).status).toBe(201)
    }))

  it.effect("a category that is not a lowercase slug is a 400 naming the rule", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      for (const category of ["Marketing", "news letter", "-x", "a".repeat(33), ""]) {
        expect(yield* call(org, "/broadcast", { json: { name: "n", category } })).toMatchObject({
          status: 400, body: { error: "BadRequest", message: expect.stringContaining(rule) }
        })
        expect(yield* call(org, "/suppressions/check", { json: { channel: "email", addresses: ["a@example.com"], category } })).toMatchObject({
          status: 400, body: { message: expect.stringContaining(rule) }
        })
      }
    }))

  it.effect("stats, the summary and health report per stream: marketing complaints apart from transactional mail, totals unchanged without category", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const marketing = (yield* call(org, "/broadcast", { json: { name: "Sale", category: "marketing" } })).body as { id: string }
      const digest = (yield* call(org, "/broadcast", { json: { name: "Digest", category: "weekly-digest" } })).body as { id: string }
      yield* apply([
        ...Array.from({ length: 6 }, (_, i) => ({ org, type: "delivered" as const, recipient: `t${i}@example.com`, message: `t-${i}` })),
        // The broadcast's category wins over the event's own.
        ...Array.from({ length: 4 }, (_, i) => ({ org, type: "delivered" as const, recipient: `m${i}@example.com`, message: `m-${i}`, broadcastId: marketing.id, category: "billing" })),
        { org, type: "complained", recipient: "m0@example.com", message: "m-0", broadcastId: marketing.id },
        { org, type: "delivered", recipient: "b@example.com", message: "b-1", category: "billing" },
        { org, type: "delivered", recipient: "d@example.com", message: "d-1", broadcastId: digest.id }
      ])
      const end = DateTime.formatIsoDateUtc(yield* DateTime.now)
      const sentIn = (body: unknown) => (body as { buckets: Array<{ counters: { sent: number; complained: number } }> }).buckets[0]!.counters
      expect(sentIn((yield* call(org, `/broadcast/stats?startDate=${end}&endDate=${end}`)).body)).toMatchObject({ sent: 12, complained: 1 })
      const onlyMarketing = yield* call(org, `/broadcast/stats?startDate=${end}&endDate=${end}&category=marketing`)
      expect(onlyMarketing.body).toMatchObject({ category: "marketing" })
      expect(sentIn(onlyMarketing.body)).toMatchObject({ sent: 4, complained: 1 })
      expect(sentIn((yield* call(org, `/broadcast/stats?startDate=${end}&endDate=${end}&category=transactional`)).body)).toMatchObject({ sent: 6, complained: 0 })

      const summary = (yield* call(org, "/broadcast/stats/summary")).body as { category: null; counters: { sent: number }; streams: Array<{ category: string; counters: { sent: number } }> }
      expect(summary).toMatchObject({ category: null, counters: { sent: 12 } })
      expect(summary.streams.map((s) => [s.category, s.counters.sent])).toEqual([["billing", 1], ["marketing", 4], ["transactional", 6], ["weekly-digest", 1]])
      expect((yield* call(org, "/broadcast/stats/summary?category=weekly-digest")).body).toMatchObject({ category: "weekly-digest", counters: { sent: 1 }, streams: [{ category: "weekly-digest" }] })

      const health = (yield* call(org, "/deliverability/health")).body as { status: string; sent: number; streams: Array<{ category: string; status: string; rates: { complaintRate: number }; alerts: Array<{ message: string }> }> }
      expect(health).toMatchObject({ status: "critical", sent: 12 })
      const byStream = Object.fromEntries(health.streams.map((s) => [s.category, s]))
      expect(byStream.marketing).toMatchObject({ status: "critical", sent: 4, rates: { complaintRate: 0.25 }, alerts: [{ metric: "complaintRate", message: expect.stringMatching(/^marketing: complaint rate/) }] })
      expect(byStream.transactional).toMatchObject({ status: "ok", sent: 6, rates: { complaintRate: 0 }, alerts: [] })
      expect((yield* call(org, "/deliverability/health?category=transactional")).body).toMatchObject({ category: "transactional", status: "ok", sent: 6, alerts: [] })
    }))

  it.effect("stats, the summary and health refuse a category that is not a slug, naming the rule", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      for (const path of ["/broadcast/stats", "/broadcast/stats/summary", "/deliverability/health"]) {
        expect(yield* call(org, `${path}?category=Marketing`)).toMatchObject({
          status: 400, body: { error: "BadRequest", message: expect.stringMatching(new RegExp(`^category: 'Marketing' is not a category; expected ${rule}`)) }
        })
      }
      expect(yield* call(org, "/broadcast/stats?category=marketing&broadcastId=b-1")).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^category: /) } })
    }))

  it.effect("health's last 24 h roll by the hour: an event of 23 h ago counts, one of 25 h ago does not", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const now = yield* DateTime.now
      const ago = (hours: number) => DateTime.subtract(now, { hours })
      yield* apply([
        { org, type: "delivered", recipient: "in@example.com", message: "in-1", at: ago(23) },
        { org, type: "complained", recipient: "in@example.com", message: "in-1", at: ago(23) },
        { org, type: "delivered", recipient: "out@example.com", message: "out-1", at: ago(25), category: "marketing" },
        { org, type: "complained", recipient: "out@example.com", message: "out-1", at: ago(25), category: "marketing" }
      ])
      const health = yield* call(org, "/deliverability/health")
      expect(health.body).toMatchObject({
        sent: 1, rates: { complaintRate: 1 }, from: DateTime.formatIso(DateTime.subtract(DateTime.startOf(now, "hour"), { hours: 23 })),
        streams: [{ category: "transactional", sent: 1 }]
      })
      expect((health.body as { streams: ReadonlyArray<unknown> }).streams).toHaveLength(1)
      // The daily stats still count both, each on its UTC day.
      const stats = yield* call(org, `/broadcast/stats?startDate=${DateTime.formatIsoDateUtc(ago(25))}&endDate=${DateTime.formatIsoDateUtc(now)}&aggregatedBy=month`)
      const buckets = (stats.body as { buckets: Array<{ counters: { sent: number } }> }).buckets
      expect(buckets.reduce((sum, b) => sum + b.counters.sent, 0)).toBe(2)
    }))

  it.effect("across a UTC midnight the window is the hour holding its start and after, not two calendar days", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const rollups = yield* RollupRepository
      const seed = (iso: string, sent: number) => rollups.increment({ orgId: org, broadcastId: null, channel: "email", day: DateTime.unsafeMake(iso), counters: { sent } })
      // "Now" is 2026-03-02T00:10Z: 23 h before is 2026-03-01T01:10Z, 25 h before 2026-02-28T23:10Z.
      yield* seed("2026-03-01T01:10:00Z", 1)
      yield* seed("2026-02-28T23:10:00Z", 10)
      yield* seed("2026-03-02T00:05:00Z", 100)
      const since = DateTime.subtract(DateTime.startOf(DateTime.unsafeMake("2026-03-02T00:10:00Z"), "hour"), { hours: 23 })
      expect((yield* rollups.recentStreams(org, since)).map((s) => [s.category, s.counters.sent])).toEqual([["transactional", 101]])
    }))
})
