import { expect, layer } from "@effect/vitest"
import { DateTime, Effect, Schema } from "effect"
import type { Counters } from "../../src/domain/Rollup.js"
import { addDays } from "../../src/reports/Stats.js"
import { RollupRepository } from "../../src/storage/RollupRepository.js"
import { SenderAccountRepository } from "../../src/storage/SenderAccountRepository.js"
import { call, contactsService } from "../support/contactsApi.js"
import { unique } from "../support/providerRoutes.js"
import { Inbox } from "../../src/ingest/Inbox.js"
import { Pipeline } from "../../src/ingest/Pipeline.js"
import { makeEvent } from "../support/events.js"

const seed = (orgId: string, day: string, counters: Partial<Counters>, channel: "email" | "sms" = "email", broadcastId: string | null = null) =>
  Effect.flatMap(RollupRepository, (rollups) => rollups.increment({ orgId, broadcastId, channel, day: DateTime.unsafeMake(`${day}T12:00:00Z`), counters }))

const today = Effect.map(DateTime.now, DateTime.formatIsoDateUtc)
const zeroRates = { deliveryRate: 0, openRate: 0, clickRate: 0, bounceRate: 0, complaintRate: 0 }

layer(contactsService, { excludeTestServices: true })("the insights API", (it) => {
  it.effect("stats are a daily series by default over the last 30 days, empty days counted as zeros with zero rates", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const end = yield* today
      yield* seed(org, end, { sent: 10, delivered: 8, opened: 4, opened_total: 9, opened_human: 3, clicked: 1, clicked_total: 2 })
      yield* seed(org, end, { sent: 5, delivered: 5 }, "sms")
      yield* seed(org, addDays(end, -30), { sent: 1000 }) // outside the default range
      const reply = yield* call(org, "/broadcast/stats")
      expect(reply.status).toBe(200)
      const body = reply.body as { buckets: Array<{ start: string; counters: Record<string, number>; rates: Record<string, number> }> }
      expect(body).toMatchObject({ aggregatedBy: "day", startDate: addDays(end, -29), endDate: end, channel: null, broadcastId: null, note: null })
      expect(body.buckets).toHaveLength(30)
      expect(body.buckets[0]).toMatchObject({ start: addDays(end, -29), end: addDays(end, -29), counters: { sent: 0 }, rates: zeroRates })
      expect(body.buckets[29]).toMatchObject({
        start: end,
        counters: { sent: 15, delivered: 13, opened: 4, openedTotal: 9, openedByHumans: 3, clicked: 1, clickedTotal: 2, clickedByHumans: 0 },
        rates: { deliveryRate: 13 / 15, openRate: 4 / 13, clickRate: 0.25, bounceRate: 0, complaintRate: 0 }
      })
      const sms = yield* call(org, `/broadcast/stats?channel=sms&startDate=${end}&endDate=${end}`)
      expect(sms.body).toMatchObject({ channel: "sms", buckets: [{ counters: { sent: 5, delivered: 5 }, rates: { deliveryRate: 1 } }] })
    }))

  it.effect("weeks start on Monday and months are calendar months, clipped to the range", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      yield* seed(org, "2026-01-31", { sent: 1 })
      yield* seed(org, "2026-02-01", { sent: 2 }) // a Sunday
      yield* seed(org, "2026-02-02", { sent: 4 }) // a Monday
      const weeks = yield* call(org, "/broadcast/stats?aggregatedBy=week&startDate=2026-01-31&endDate=2026-02-03")
      expect(weeks.body).toMatchObject({ buckets: [
        { start: "2026-01-31", end: "2026-02-01", counters: { sent: 3 } }, { start: "2026-02-02", end: "2026-02-03", counters: { sent: 4 } }
      ] })
      const months = yield* call(org, "/broadcast/stats?aggregatedBy=month&startDate=2026-01-15&endDate=2026-02-10")
      expect(months.body).toMatchObject({ buckets: [
        { start: "2026-01-15", end: "2026-01-31", counters: { sent: 1 } }, { start: "2026-02-01", end: "2026-02-10", counters: { sent: 6 } }
      ] })
    }))

  it.effect("with a broadcastId the broadcast's rollup is one bucket over the range; another org's broadcast is a 404", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const created = yield* call(org, "/broadcast", { json: { name: "Sale", category: "marketing" } })
      const id = (created.body as { id: string }).id
      const empty = yield* call(org, `/broadcast/stats?broadcastId=${id}&startDate=2026-01-01&endDate=2026-01-31`)
      expect(empty.body).toMatchObject({ broadcastId: id, note: expect.stringContaining("no time dimension"), buckets: [{ start: "2026-01-01", end: "2026-01-31", counters: { sent: 0 }, rates: zeroRates }] })
      yield* seed(org, "2026-01-10", { sent: 4, delivered: 4, bounced: 0 }, "email", id)
      const seeded = yield* call(org, `/broadcast/stats?broadcastId=${id}`)
      expect(seeded.body).toMatchObject({ buckets: [{ counters: { sent: 4, delivered: 4 }, rates: { deliveryRate: 1 } }] })
      expect(yield* call(unique("org-"), `/broadcast/stats?broadcastId=${id}`)).toEqual({ status: 404, body: { error: "NotFound", message: `no broadcast '${id}'` } })
      expect(yield* call(org, `/broadcast/stats?broadcastId=${id}&channel=email`)).toMatchObject({ status: 400, body: { error: "BadRequest", message: expect.stringMatching(/^channel: /) } })
    }))

  it.effect("bad parameters are 400s naming the field", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      for (const query of ["aggregatedBy=year", "startDate=2026-02-30", "endDate=tomorrow", "channel=fax", "startDate=2026-03-01&endDate=2026-02-01", "startDate=2000-01-01&endDate=2026-01-01"]) {
        expect(yield* call(org, `/broadcast/stats?${query}`)).toMatchObject({ status: 400, body: { error: "BadRequest" } })
      }
    }))

  it.effect("an org sees only its own rollups, and a missing or crossed token is refused", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const end = yield* today
      yield* seed(unique("org-"), end, { sent: 50, complained: 50 })
      expect((yield* call(org, `/broadcast/stats?startDate=${end}&endDate=${end}`)).body).toMatchObject({ buckets: [{ counters: { sent: 0 } }] })
      expect((yield* call(org, "/deliverability/health")).body).toMatchObject({ status: "ok", sent: 0, alerts: [] })
      for (const path of ["/broadcast/stats", "/broadcast/stats/summary", "/deliverability/health"]) {
        expect(yield* call(org, path, { authorized: false })).toMatchObject({ status: 401, body: { error: "Unauthorized" } })
        expect(yield* call(org, path, { tokenOrg: unique("org-") })).toMatchObject({ status: 403, body: { error: "Forbidden" } })
      }
    }))

  it.effect("the summary compares the last 30 days with the 30 before, with the average delivery time", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const end = yield* today
      yield* seed(org, end, { sent: 30, delivered: 30, delivery_ms_total: 6000, delivery_ms_count: 3, opened: 3 })
      yield* seed(org, addDays(end, -29), { sent: 10 })
      yield* seed(org, addDays(end, -30), { sent: 20, delivered: 20 })
      yield* seed(org, addDays(end, -59), { sent: 5, delivered: 5 })
      yield* seed(org, addDays(end, -60), { sent: 999 }) // before both periods
      const reply = yield* call(org, "/broadcast/stats/summary")
      expect(reply).toMatchObject({ status: 200, body: {
        startDate: addDays(end, -29), endDate: end,
        counters: { sent: 40, delivered: 30, opened: 3 }, rates: { deliveryRate: 0.75, openRate: 0.1 }, averageDeliveryMs: 2000,
        previous: { startDate: addDays(end, -59), endDate: addDays(end, -30), counters: { sent: 25, delivered: 25, opened: 0 }, averageDeliveryMs: null },
        change: { sent: { absolute: 15, relative: 0.6 }, delivered: { absolute: 5, relative: 0.2 }, opened: { absolute: 3, relative: null }, failed: { absolute: 0, relative: null } }
      } })
    }))

  it.effect("health alerts on the last 24 hours' complaint and delivery rates and on sender accounts", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const now = yield* DateTime.now
      const hoursAgo = (hours: number) => DateTime.subtract(now, { hours })
      const seedAt = (at: DateTime.Utc, counters: Partial<Counters>) =>
        Effect.flatMap(RollupRepository, (rollups) => rollups.increment({ orgId: org, broadcastId: null, channel: "email", day: at, counters }))
      yield* seedAt(hoursAgo(20), { sent: 5000, delivered: 5000 })
      yield* seedAt(now, { sent: 5000, delivered: 4400, complained: 10 }) // exactly 0.1%: a warning, not critical
      yield* seedAt(hoursAgo(25), { complained: 500 }) // older than the window
      const senders = yield* SenderAccountRepository
      const policy = { maxBounceRate: 0.5, maxComplaintRate: 0.5, minimumSample: 1_000_000 }
      const at = yield* DateTime.now
      yield* senders.count({ id: `${org}-s1`, orgId: org, metric: "sent", by: 100, at, policy })
      yield* senders.count({ id: `${org}-s1`, orgId: org, metric: "bounced", by: 4, at, policy })
      yield* senders.count({ id: `${org}-s2`, orgId: org, metric: "sent", by: 100, at, policy })
      yield* senders.count({ id: `${org}-s2`, orgId: org, metric: "bounced", by: 3, at, policy })
      const reply = yield* call(org, "/deliverability/health")
      expect(reply).toMatchObject({ status: 200, body: {
        endDate: DateTime.formatIsoDateUtc(now), status: "warning", sent: 10_000, note: expect.stringContaining("24 h"),
        alerts: [
          { metric: "complaintRate", value: 0.001, threshold: 0.0005, severity: "warning" },
          { metric: "deliveryRate", value: 0.94, threshold: 0.95, severity: "warning" },
          { metric: "senderBounceRate", value: 0.04, threshold: 0.03, severity: "warning", senderAccountId: `${org}-s1` }
        ]
      } })
      expect((reply.body as { alerts: Array<unknown> }).alerts).toHaveLength(3)
      yield* seedAt(now, { complained: 1 })
      yield* senders.count({ id: `${org}-s2`, orgId: org, metric: "bounced", by: 60, at, policy: { ...policy, minimumSample: 1 } })
      const worse = yield* call(org, "/deliverability/health")
      expect(worse.body).toMatchObject({ status: "critical", alerts: [
        { metric: "complaintRate", severity: "critical", threshold: 0.001 },
        { metric: "senderFlagged", severity: "critical", senderAccountId: `${org}-s2`, threshold: null },
        { metric: "deliveryRate" }, { metric: "senderBounceRate", senderAccountId: `${org}-s1` }, { metric: "senderBounceRate", senderAccountId: `${org}-s2` }
      ] })
    }))
})


const createBroadcast = (org: string) =>
  Effect.map(call(org, "/broadcast", { json: { name: "Sale", category: "marketing", channels: ["email", "sms"] } }),
    (reply) => Schema.decodeUnknownSync(Schema.Struct({ id: Schema.String }))(reply.body).id)

const item = (messageId: string, recipient: string, cost?: { value: number; unit: string }, channel: "email" | "sms" = "email") =>
  ({ recipient, channel, provider: channel === "email" ? "sendgrid" : "twilio", providerMessageId: messageId, status: "sent", ...(cost === undefined ? {} : { cost }) })

const register = (org: string, id: string, deliveries: ReadonlyArray<unknown>) =>
  Effect.tap(call(org, `/broadcast/${id}/deliveries`, { json: { deliveries } }), (reply) => expect(reply.status).toBe(200))

/** The costs of today's bucket, of the 30-day summary and of the broadcast, as a user reads them. */
const costsRead = (org: string, broadcastId: string) =>
  Effect.gen(function* () {
    const end = yield* today
    const series = (yield* call(org, `/broadcast/stats?startDate=${end}&endDate=${end}`)).body as { buckets: Array<{ costs: unknown }> }
    const summary = (yield* call(org, "/broadcast/stats/summary")).body as { costs: unknown }
    const broadcast = (yield* call(org, `/broadcast/stats?broadcastId=${broadcastId}`)).body as { buckets: Array<{ costs: unknown }> }
    return { series: series.buckets[0]!.costs, summary: summary.costs, broadcast: broadcast.buckets[0]!.costs }
  })

layer(contactsService, { excludeTestServices: true })("the insights API: costs", (it) => {
  it.effect("costs are summed exactly per unit in the series, the summary and a broadcast's stats, never across units", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const id = yield* createBroadcast(org)
      yield* register(org, id, [
        item("m-1", "a@example.com", { value: 0.1, unit: "USD" }),
        item("m-2", "b@example.com", { value: 0.2, unit: "USD" }),
        item("m-3", "c@example.com", { value: 0.0008, unit: "USD" }),
        item("m-4", "d@example.com", { value: 0.05, unit: "EUR" }),
        item("m-5", "e@example.com"),
        item("SM1", "+15550001111", { value: 2, unit: "credits" }, "sms"),
        item("SM2", "+15550002222", { value: 0.0075, unit: "USD" }, "sms")
      ])
      const all = [
        { unit: "EUR", total: "0.05", count: 1 },
        { unit: "USD", total: "0.3083", count: 4 },
        { unit: "credits", total: "2", count: 1 }
      ]
      expect(yield* costsRead(org, id)).toEqual({ series: all, summary: all, broadcast: all })
      const end = yield* today
      const sms = yield* call(org, `/broadcast/stats?channel=sms&aggregatedBy=month&startDate=${end}&endDate=${end}`)
      expect(sms.body).toMatchObject({ buckets: [{ costs: [{ unit: "USD", total: "0.0075", count: 1 }, { unit: "credits", total: "2", count: 1 }] }] })
      const summary = yield* call(org, "/broadcast/stats/summary")
      expect(summary.body).toMatchObject({ previous: { costs: [] } })
      const yesterday = yield* call(org, `/broadcast/stats?endDate=${end}&aggregatedBy=week`)
      const buckets = (yesterday.body as { buckets: Array<{ end: string; costs: unknown }> }).buckets
      expect(buckets.filter((b) => b.end !== end).every((b) => Array.isArray(b.costs) && b.costs.length === 0)).toBe(true)
      expect(buckets.at(-1)!.costs).toEqual(all)
    }))

  it.effect("a cost given twice is counted once, the first given, whether a provider's event or the registration came first", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const id = yield* createBroadcast(org)
      // m-late: the provider's event (naming the broadcast) creates the row before any registration names it.
      const at = yield* DateTime.now
      yield* (yield* Inbox).append([
        makeEvent({ orgId: org, provider: "sendgrid", providerMessageId: "m-late", recipient: "late@example.com", type: "delivered", providerEventId: unique("evt-"), occurredAt: at, broadcastId: id })
      ])
      yield* (yield* Pipeline).drain
      const first = { value: 0.01, unit: "USD" }
      const second = { value: 0.05, unit: "USD" }
      // m-early: registered with a cost, then with another; the provider's event follows.
      yield* register(org, id, [item("m-early", "early@example.com", first), item("m-late", "late@example.com", first)])
      yield* register(org, id, [item("m-early", "early@example.com", second), item("m-late", "late@example.com", second)])
      // m-none: registered without a cost, then with one (twice in one call), then with another.
      yield* register(org, id, [item("m-none", "none@example.com")])
      yield* register(org, id, [item("m-none", "none@example.com", first), item("m-none", "none@example.com", second)])
      yield* register(org, id, [item("m-none", "none@example.com", second)])
      yield* (yield* Inbox).append([
        makeEvent({ orgId: org, provider: "sendgrid", providerMessageId: "m-early", recipient: "early@example.com", type: "delivered", providerEventId: unique("evt-"), occurredAt: at })
      ])
      yield* (yield* Pipeline).drain
      const once = [{ unit: "USD", total: "0.03", count: 3 }]
      expect(yield* costsRead(org, id)).toEqual({ series: once, summary: once, broadcast: once })
      const report = yield* call(org, `/broadcast/${id}/report`)
      const items = (report.body as { items: Array<{ providerMessageId: string; cost?: unknown }> }).items
      expect(items.map((i) => [i.providerMessageId, i.cost]).sort()).toEqual([["m-early", first], ["m-late", first], ["m-none", first]])
    }))

  it.effect("another org's costs are not included, and bad parameters are still 400s", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const id = yield* createBroadcast(org)
      const other = unique("org-")
      const theirs = yield* createBroadcast(other)
      yield* register(other, theirs, [item("m-1", "a@example.com", { value: 7, unit: "USD" })])
      // The same provider message in this org is this org's own row, costed on its own.
      yield* register(org, id, [item("m-1", "a@example.com", { value: 1, unit: "USD" })])
      const mine = [{ unit: "USD", total: "1", count: 1 }]
      expect(yield* costsRead(org, id)).toEqual({ series: mine, summary: mine, broadcast: mine })
      expect(yield* call(org, `/broadcast/stats?broadcastId=${theirs}`)).toMatchObject({ status: 404, body: { error: "NotFound" } })
      for (const query of ["aggregatedBy=year", "startDate=2026-02-30", "channel=fax", `broadcastId=${id}&channel=sms`]) {
        expect(yield* call(org, `/broadcast/stats?${query}`)).toMatchObject({ status: 400, body: { error: "BadRequest" } })
      }
    }))
})
