import { expect, layer } from "@effect/vitest"
import { DateTime, Effect, Schema } from "effect"
import { Inbox } from "../../src/ingest/Inbox.js"
import { Pipeline } from "../../src/ingest/Pipeline.js"
import { call, contactsService } from "../support/contactsApi.js"
import { makeEvent } from "../support/events.js"
import { unique } from "../support/providerRoutes.js"

const today = Effect.map(DateTime.now, DateTime.formatIsoDateUtc)

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
