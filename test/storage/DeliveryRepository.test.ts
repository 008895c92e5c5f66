import { expect, layer } from "@effect/vitest"
import { DateTime, Effect, Layer, Option } from "effect"
import { DeliveryRepository } from "../../src/storage/DeliveryRepository.js"
import type { NewDelivery } from "../../src/storage/DeliveryRepository.js"
import * as MemoryDeliveries from "../../src/storage/memory/DeliveryRepository.js"
import { sqlBackends } from "../support/databases.js"
import { makeEvent } from "../support/events.js"

const at = DateTime.unsafeMake("2026-03-01T10:00:00Z")
const newDelivery = (orgId: string, overrides: Partial<NewDelivery> = {}): NewDelivery => ({
  orgId,
  provider: "generic",
  providerMessageId: "msg-1",
  recipient: "ada@example.com",
  broadcastId: "b-1",
  contactId: null,
  channel: "email",
  status: "queued",
  senderAccountId: "sender-1",
  cost: { value: 0.25, unit: "USD" },
  at,
  reached: true,
  ...overrides
})

const backends = [
  { name: "in-memory", layer: MemoryDeliveries.layer },
  ...sqlBackends.map((b) => ({ name: b.name, layer: DeliveryRepository.Default.pipe(Layer.provide(b.layer)) }))
]

for (const backend of backends) {
  layer(backend.layer)(`DeliveryRepository (${backend.name})`, (it) => {
    it.effect("acquire creates the row once and finds it again for the same message and recipient", () =>
      Effect.gen(function* () {
        const repo = yield* DeliveryRepository
        const created = yield* repo.acquire(newDelivery("org-acquire"))
        const again = yield* repo.acquire(newDelivery("org-acquire", { status: "sent" }))
        expect(again.id).toBe(created.id)
        expect(created.status).toBe("queued")
        expect(created.milestones.queued).toEqual(at)
        expect(created.cost).toEqual({ value: 0.25, unit: "USD" })
        const other = yield* repo.acquire(newDelivery("org-acquire", { recipient: "bob@example.com" }))
        expect(other.id).not.toBe(created.id)
        const otherOrg = yield* repo.acquire(newDelivery("org-acquire-2"))
        expect(otherOrg.id).not.toBe(created.id)
      }))

    it.effect("saveState stores status, reason and the first time of every milestone", () =>
      Effect.gen(function* () {
        const repo = yield* DeliveryRepository
        const row = yield* repo.acquire(newDelivery("org-save"))
        const bouncedAt = DateTime.add(at, { minutes: 5 })
        yield* repo.saveState(row.id, {
          status: "bounced",
          errorReason: "no such user",
          decidedAt: bouncedAt,
          decidedBy: "generic:e-1",
          milestones: { queued: at, sent: DateTime.add(at, { minutes: 1 }), bounced: bouncedAt }
        }, bouncedAt)
        const saved = Option.getOrThrow(yield* repo.findById(row.id))
        expect(saved.status).toBe("bounced")
        expect(saved.errorReason).toBe("no such user")
        expect(saved.decidedBy).toBe("generic:e-1")
        expect(saved.milestones).toEqual({ queued: at, sent: DateTime.add(at, { minutes: 1 }), bounced: bouncedAt })
        const byMessage = yield* repo.findByProviderMessage(newDelivery("org-save"))
        expect(Option.map(byMessage, (d) => d.id)).toEqual(Option.some(row.id))
      }))

    it.effect("appendEvent records an event once per (provider, provider event id)", () =>
      Effect.gen(function* () {
        const repo = yield* DeliveryRepository
        const row = yield* repo.acquire(newDelivery("org-events"))
        const opened = makeEvent({
          orgId: "org-events",
          type: "opened",
          providerEventId: "org-events-open-1",
          occurredAt: DateTime.add(at, { minutes: 2 }),
          details: { ip: "192.0.2.1", userAgent: "Mail/1.0", machine: true }
        })
        const delivered = makeEvent({ orgId: "org-events", type: "delivered", providerEventId: "org-events-delivered-1", occurredAt: at })
        expect(yield* repo.appendEvent(row.id, opened)).toBe(true)
        expect(yield* repo.appendEvent(row.id, opened)).toBe(false)
        expect(yield* repo.appendEvent(row.id, delivered)).toBe(true)
        const events = yield* repo.events(row.id)
        expect(events.map((e) => e.type)).toEqual(["delivered", "opened"])
        expect(events[1]!.details).toEqual({ ip: "192.0.2.1", userAgent: "Mail/1.0", machine: true })
      }))

    it.effect("soft bounces are counted across an address's deliveries since its last delivery", () =>
      Effect.gen(function* () {
        const repo = yield* DeliveryRepository
        const org = "org-soft"
        const one = yield* repo.acquire(newDelivery(org, { providerMessageId: "s-1" }))
        const two = yield* repo.acquire(newDelivery(org, { providerMessageId: "s-2" }))
        const event = (id: string, type: "soft_bounced" | "delivered" | "bounced", minutes: number, details = {}) =>
          makeEvent({ orgId: org, type, providerEventId: `${org}-${id}`, occurredAt: DateTime.add(at, { minutes }), details })
        yield* repo.appendEvent(one.id, event("a", "soft_bounced", 1))
        yield* repo.appendEvent(one.id, event("b", "delivered", 2))
        yield* repo.appendEvent(two.id, event("c", "soft_bounced", 3))
        yield* repo.appendEvent(two.id, event("d", "bounced", 4, { bounceKind: "soft" }))
        yield* repo.appendEvent(two.id, event("e", "bounced", 5, { bounceKind: "hard" }))
        expect(yield* repo.softBouncesSinceDelivery(org, "email", "ada@example.com")).toBe(2)
        expect(yield* repo.softBouncesSinceDelivery(org, "email", "nobody@example.com")).toBe(0)
      }))
  })
}
