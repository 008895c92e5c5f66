import * as SqlClient from "@effect/sql/SqlClient"
import { expect, layer } from "@effect/vitest"
import { Context, DateTime, Effect, FastCheck as fc, Layer } from "effect"
import type { DeliveryStatus } from "../../src/domain/Delivery.js"
import { statusRank } from "../../src/domain/Delivery.js"
import type { EventType, NormalizedEvent } from "../../src/domain/Event.js"
import { channels, eventKey } from "../../src/domain/Event.js"
import { Inbox } from "../../src/ingest/Inbox.js"
import { Pipeline } from "../../src/ingest/Pipeline.js"
import { sqlBackends } from "../support/databases.js"
import { ingestSql } from "../support/ingest.js"

/**
 * Whatever the order, duplication, batch boundaries and number of pipelines applying concurrently,
 * the rows end equal to a reference model computed naively from the SET of distinct events.
 */

const threshold = 2
const base = DateTime.unsafeMake("2026-06-01T10:00:00Z")
const types = ["sent", "delivered", "opened", "clicked", "soft_bounced", "bounced", "complained", "unsubscribed"] as const

const scenario = fc.record({
  messages: fc.array(fc.record({
    contact: fc.integer({ min: 0, max: 3 }),
    types: fc.uniqueArray(fc.constantFrom(...types), { minLength: 1, maxLength: 4 }),
    minutes: fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 4, maxLength: 4 }),
    machine: fc.boolean()
  }), { minLength: 1, maxLength: 14 }),
  repeats: fc.array(fc.nat(), { maxLength: 8 }),
  order: fc.array(fc.nat(), { minLength: 80, maxLength: 80 }),
  chunks: fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 6 }),
  instances: fc.integer({ min: 1, max: 3 })
})
type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never

const milestone = (type: EventType): DeliveryStatus | undefined => (type === "soft_bounced" ? undefined : type as DeliveryStatus)
const outbound = new Set<DeliveryStatus>(["sent", "delivered", "opened", "clicked", "bounced", "complained"])
const byTime = (a: NormalizedEvent, b: NormalizedEvent) =>
  a.occurredAt.epochMillis - b.occurredAt.epochMillis || (eventKey(a) < eventKey(b) ? -1 : eventKey(a) > eventKey(b) ? 1 : 0)

const groupBy = <A>(items: ReadonlyArray<A>, key: (a: A) => string) => {
  const groups = new Map<string, Array<A>>()
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item])
  return groups
}

/** The reference model: every fact as a function of the set of distinct events. */
const model = (events: ReadonlyArray<NormalizedEvent>) => {
  const byMessage = groupBy(events, (e) => e.providerMessageId)
  const deliveries = [...byMessage].map(([message, mine]) => {
    const reached = new Set(mine.flatMap((e) => milestone(e.type) ?? []))
    const status = [...reached].reduce<DeliveryStatus>((top, m) => (statusRank(m) > statusRank(top) ? m : top), "queued")
    const first = (m: DeliveryStatus) => Math.min(...mine.filter((e) => milestone(e.type) === m).map((e) => e.occurredAt.epochMillis))
    return { message, status, reached, events: mine.length, delivered: reached.has("delivered") ? first("delivered") : null, humanOpen: mine.some((e) => e.type === "opened" && e.details.machine !== true) }
  })
  // Each suppression names its earliest cause (time, then event key).
  const causes = new Map<string, { at: number; key: string; reason: string }>()
  const cause = (address: string, category: string, e: NormalizedEvent, reason: string, key = eventKey(e)) => {
    const known = causes.get(`${address}|${category}`)
    const at = e.occurredAt.epochMillis
    if (known === undefined || at < known.at || (at === known.at && key < known.key)) causes.set(`${address}|${category}`, { at, key, reason })
  }
  const activities = new Set<string>()
  const bounced = new Set<string>()
  const optedOut = new Map<string, Set<string>>()
  for (const [address, mine] of groupBy(events, (e) => e.recipient)) {
    const opted = optedOut.get(address) ?? new Set<string>()
    optedOut.set(address, opted)
    for (const e of mine) {
      if (e.type === "bounced") (cause(address, "", e, "bounce"), bounced.add(address), activities.add(`bounced|${eventKey(e)}|${e.occurredAt.epochMillis}`))
      if (e.type === "complained") {
        cause(address, "", e, "complaint")
        for (const channel of channels) opted.add(channel)
        activities.add(`complained|${eventKey(e)}|${e.occurredAt.epochMillis}`)
      }
      if (e.type === "unsubscribed") (cause(address, "marketing", e, "unsubscribe"), opted.add("email:marketing"), activities.add(`unsubscribed|${eventKey(e)}|${e.occurredAt.epochMillis}`))
    }
    let run = ""
    let count = 0
    for (const e of mine.filter((x) => x.type === "soft_bounced" || x.type === "delivered").sort(byTime)) {
      if (e.type === "delivered") (run = eventKey(e), count = 0)
      else if (++count === threshold) {
        cause(address, "", e, "bounce")
        bounced.add(address)
        activities.add(`bounced|soft-bounces:email:${address}:${run}|${e.occurredAt.epochMillis}`)
      }
    }
  }
  const count = (m: DeliveryStatus) => deliveries.filter((d) => d.reached.has(m)).length
  const suppressions = new Set([...causes].map(([key, c]) => `${key}|${c.reason}|${c.key}`))
  return {
    deliveries, suppressions, activities, bounced, optedOut,
    rollup: {
      sent: deliveries.filter((d) => [...d.reached].some((m) => outbound.has(m))).length, delivered: count("delivered"), opened: count("opened"),
      opened_total: events.filter((e) => e.type === "opened").length, opened_human: deliveries.filter((d) => d.humanOpen).length,
      bounced: count("bounced"), soft_bounced: events.filter((e) => e.type === "soft_bounced").length, complained: count("complained")
    }
  }
}

let run = 0

const check = (input: Scenario) =>
  Effect.gen(function* () {
    const id = `ss${++run}x${Math.random().toString(36).slice(2, 8)}`
    const orgId = `org-${id}`
    const distinct = input.messages.flatMap((m, i) => m.types.map((type, j): NormalizedEvent => ({
      orgId, provider: "generic", providerEventId: `${id}-${i}-${type}`, providerMessageId: `${id}-m${i}`,
      recipient: `c${m.contact}@example.com`, channel: "email", type, occurredAt: DateTime.add(base, { minutes: m.minutes[j]! }),
      senderAccountId: `sender-${id}`,
      details: type === "opened" && m.machine ? { machine: true } : type === "unsubscribed" ? { category: "marketing" } : {}
    })))
    const stream = [...distinct, ...input.repeats.map((n) => distinct[n % distinct.length]!)]
      .map((event, i) => ({ event, rank: input.order[i % input.order.length]! }))
      .sort((a, b) => a.rank - b.rank)
      .map((x) => x.event)

    // 1–3 pipelines (the layer's and fresh ones) drain concurrently after each chunk is acknowledged.
    const pipelines = [yield* Pipeline]
    for (let i = 1; i < input.instances; i++) pipelines.push(Context.get(yield* Layer.build(Layer.fresh(Pipeline.Default)), Pipeline))
    const inbox = yield* Inbox
    for (let at = 0, c = 0; at < stream.length; c++) {
      const size = input.chunks[c % input.chunks.length]!
      yield* inbox.append(stream.slice(at, at + size))
      at += size
      yield* Effect.forEach(pipelines, (p) => p.drain, { concurrency: "unbounded", discard: true })
    }

    const want = model(distinct)
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ provider_message_id: string; status: DeliveryStatus; delivered_at: Date | null; events: number }>`
      SELECT d.provider_message_id, d.status, d.delivered_at, (SELECT count(*)::int FROM delivery_events e WHERE e.delivery_id = d.id) AS events
      FROM deliveries d WHERE d.org_id = ${orgId} ORDER BY 1`
    expect(rows.map((r) => [r.provider_message_id, r.status, r.delivered_at?.getTime() ?? null, r.events]))
      .toEqual(want.deliveries.map((d) => [d.message, d.status, d.delivered, d.events]).sort((a, b) => (a[0]! < b[0]! ? -1 : 1)))
    const suppressed = yield* sql<{ key: string }>`
      SELECT address || '|' || category || '|' || reason || '|' || (metadata->>'eventKey') AS key FROM suppressions WHERE org_id = ${orgId}`
    expect(new Set(suppressed.map((r) => r.key))).toEqual(want.suppressions)
    const activities = yield* sql<{ key: string }>`
      SELECT kind || '|' || source_key || '|' || (extract(epoch FROM occurred_at) * 1000)::bigint AS key FROM activities WHERE org_id = ${orgId}`
    expect(new Set(activities.map((r) => r.key))).toEqual(want.activities)
    const contacts = yield* sql<{ email: string; bounced_channels: ReadonlyArray<string>; opted_out: ReadonlyArray<string> }>`
      SELECT email, bounced_channels, opted_out FROM contacts WHERE org_id = ${orgId}`
    for (const contact of contacts) {
      expect(contact.bounced_channels).toEqual(want.bounced.has(contact.email) ? ["email"] : [])
      expect(new Set(contact.opted_out)).toEqual(want.optedOut.get(contact.email) ?? new Set())
    }
    const [rollup] = yield* sql<Record<keyof typeof want.rollup, number>>`
      SELECT coalesce(sum(sent), 0)::int AS sent, coalesce(sum(delivered), 0)::int AS delivered, coalesce(sum(opened), 0)::int AS opened,
        coalesce(sum(opened_total), 0)::int AS opened_total, coalesce(sum(opened_human), 0)::int AS opened_human, coalesce(sum(bounced), 0)::int AS bounced,
        coalesce(sum(soft_bounced), 0)::int AS soft_bounced, coalesce(sum(complained), 0)::int AS complained
      FROM rollup_daily WHERE org_id = ${orgId}`
    expect(rollup).toEqual(want.rollup)
    const senders = yield* sql<{ sent: number; delivered: number; bounced: number; complained: number }>`
      SELECT sent, delivered, bounced, complained FROM sender_accounts WHERE id = ${`sender-${id}`}`
    const wantSender = { sent: want.rollup.sent, delivered: want.rollup.delivered, bounced: want.rollup.bounced, complained: want.rollup.complained }
    expect(senders[0] ?? { sent: 0, delivered: 0, bounced: 0, complained: 0 }).toEqual(wantSender)
  }).pipe(Effect.scoped)

layer(ingestSql(sqlBackends[0]!, { PIPELINE_ENABLED: "false", SOFT_BOUNCE_ESCALATION: String(threshold) }), { excludeTestServices: true, timeout: "120 seconds" })(
  "apply: set semantics",
  (it) => {
    it.effect.prop(
      "random streams (duplicates, any order, any batch boundaries, 1–3 pipelines at once) end with rows equal to the reference model",
      [scenario],
      ([input]) => check(input),
      { timeout: 120_000, fastCheck: { numRuns: 40 } }
    )
  }
)
