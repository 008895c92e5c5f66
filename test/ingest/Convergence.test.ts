import { expect, layer } from "@effect/vitest"
import { DateTime, Effect, FastCheck as fc, Option } from "effect"
import type { DeliveryStatus } from "../../src/domain/Delivery.js"
import { statusRank } from "../../src/domain/Delivery.js"
import type { EventType, NormalizedEvent } from "../../src/domain/Event.js"
import { Inbox } from "../../src/ingest/Inbox.js"
import { Pipeline } from "../../src/ingest/Pipeline.js"
import { DeliveryRepository } from "../../src/storage/DeliveryRepository.js"
import { RollupRepository } from "../../src/storage/RollupRepository.js"
import { SenderAccountRepository } from "../../src/storage/SenderAccountRepository.js"
import { SuppressionRepository } from "../../src/storage/SuppressionRepository.js"
import { sqlBackends } from "../support/databases.js"
import { ingestSql } from "../support/ingest.js"

const base = DateTime.unsafeMake("2026-06-01T00:00:00Z")
const types: ReadonlyArray<EventType> = ["sent", "delivered", "opened", "clicked", "bounced", "soft_bounced", "deferred", "complained", "unsubscribed", "failed"]

/** The reference model: what a delivery must end as, computed naively from its set of distinct events. */
const milestone = (type: EventType): DeliveryStatus | undefined =>
  type === "soft_bounced" || type === "deferred" ? undefined : type === "queued" || type === "sending" ? "queued" : type

const expected = (events: ReadonlyArray<NormalizedEvent>) => {
  const reached = events.flatMap((e) => milestone(e.type) ?? [])
  const status = reached.reduce<DeliveryStatus>((top, m) => (statusRank(m) > statusRank(top) ? m : top), "queued")
  const firstAt = (m: DeliveryStatus) => {
    const times = events.filter((e) => milestone(e.type) === m).map((e) => e.occurredAt.epochMillis)
    return times.length === 0 ? undefined : Math.min(...times)
  }
  return { status, delivered: firstAt("delivered"), count: events.length, reached: new Set(reached) }
}

let run = 0

/** Recipients × messages, each with a few events; the stream repeats some and shuffles all of them. */
const scenario = fc.record({
  deliveries: fc.array(
    fc.record({ recipient: fc.integer({ min: 0, max: 5 }), message: fc.integer({ min: 0, max: 1 }), types: fc.uniqueArray(fc.constantFrom(...types), { minLength: 1, maxLength: 5 }), minutes: fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 5, maxLength: 5 }) }),
    { minLength: 1, maxLength: 8 }
  ),
  repeats: fc.array(fc.nat(), { maxLength: 10 }),
  order: fc.array(fc.nat(), { minLength: 60, maxLength: 60 }),
  chunk: fc.integer({ min: 1, max: 7 })
})

const check = (input: typeof scenario extends fc.Arbitrary<infer T> ? T : never) =>
  Effect.gen(function* () {
    const id = `run${++run}-${Math.random().toString(36).slice(2, 8)}`
    const orgId = `org-${id}`
    const sender = `sender-${id}`
    const byDelivery = new Map<string, Array<NormalizedEvent>>()
    for (const [i, d] of input.deliveries.entries()) {
      const key = `m${d.message}|r${d.recipient}@example.com`
      const events = byDelivery.get(key) ?? []
      d.types.forEach((type, j) => events.push({
        orgId, provider: "generic", providerEventId: `${id}-${i}-${j}`, providerMessageId: `${id}-m${d.message}`,
        recipient: `r${d.recipient}@example.com`, channel: "email", type, occurredAt: DateTime.add(base, { minutes: d.minutes[j]! }),
        senderAccountId: sender, details: {}
      }))
      byDelivery.set(key, events)
    }
    const distinct = [...byDelivery.values()].flat()
    const stream = [...distinct, ...input.repeats.map((n) => distinct[n % distinct.length]!)]
    stream.sort((a, b) => (input.order[stream.indexOf(a) % 60]! - input.order[stream.indexOf(b) % 60]!))
    const chunks = Array.from({ length: Math.ceil(stream.length / input.chunk) }, (_, i) => stream.slice(i * input.chunk, (i + 1) * input.chunk))
    const inbox = yield* Inbox
    yield* Effect.forEach(chunks, (chunk) => inbox.append(chunk), { concurrency: "unbounded", discard: true })
    yield* (yield* Pipeline).drain

    const deliveries = yield* DeliveryRepository
    let outbound = 0
    let delivered = 0
    for (const events of byDelivery.values()) {
      const want = expected(events)
      const first = events[0]!
      const row = Option.getOrThrow(yield* deliveries.findByProviderMessage({ orgId, provider: "generic", providerMessageId: first.providerMessageId, recipient: first.recipient }))
      expect(row.status).toBe(want.status)
      expect(row.milestones.delivered?.epochMillis).toBe(want.delivered)
      expect((yield* deliveries.events(row.id)).length).toBe(want.count)
      if (["sent", "delivered", "opened", "clicked", "bounced", "complained"].some((m) => want.reached.has(m as DeliveryStatus))) outbound++
      if (want.reached.has("delivered")) delivered++
      const suppressed = yield* (yield* SuppressionRepository).check(orgId, "email", [first.recipient])
      if (want.reached.has("bounced") || want.reached.has("complained")) expect(suppressed.size).toBe(1)
    }
    const rollups = yield* (yield* RollupRepository).daily(orgId, base, DateTime.add(base, { days: 1 }))
    const total = (counter: "sent" | "delivered" | "opened_total" | "soft_bounced") => rollups.reduce((n, r) => n + r.counters[counter], 0)
    expect(total("sent")).toBe(outbound)
    expect(total("delivered")).toBe(delivered)
    expect(total("opened_total")).toBe(distinct.filter((e) => e.type === "opened").length)
    expect(total("soft_bounced")).toBe(distinct.filter((e) => e.type === "soft_bounced").length)
    const senders = yield* SenderAccountRepository
    for (let i = 0; i < 200 && outbound > 0; i++) {
      const account = yield* senders.findById(sender)
      if (Option.isSome(account) && account.value.sent === outbound) break
      yield* Effect.sleep("10 millis")
    }
    if (outbound > 0) expect(Option.map(yield* senders.findById(sender), (a) => [a.sent, a.delivered])).toEqual(Option.some([outbound, delivered]))
  })

const worlds = sqlBackends.map((backend) => ({ name: backend.name, layer: ingestSql(backend), runs: 25 }))

for (const world of worlds) {
  layer(world.layer, { excludeTestServices: true, timeout: "60 seconds" })(`convergence (${world.name})`, (it) => {
    it.effect.prop(
      "random streams with duplicates, reordering and interleaving across contacts end with rows equal to the reference model",
      [scenario],
      ([input]) => check(input),
      { timeout: 120_000, fastCheck: { numRuns: world.runs } }
    )
  })
}
