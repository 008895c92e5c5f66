import { expect, layer } from "@effect/vitest"
import { DateTime, Effect } from "effect"
import type { Counters } from "../../src/domain/Rollup.js"
import { addDays } from "../../src/reports/Stats.js"
import { RollupRepository } from "../../src/storage/RollupRepository.js"
import { SenderAccountRepository } from "../../src/storage/SenderAccountRepository.js"
import { call, contactsService } from "../support/contactsApi.js"
import { unique } from "../support/providerRoutes.js"

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
