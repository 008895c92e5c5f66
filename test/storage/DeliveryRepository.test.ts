import { expect, layer } from "@effect/vitest"
import { DateTime, Effect, Layer, Option } from "effect"
import { DeliveryRepository } from "../../src/storage/DeliveryRepository.js"
import type { NewDelivery } from "../../src/storage/DeliveryRepository.js"
import { sqlBackends } from "../support/databases.js"

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

    it.effect("registerMany creates new rows with their milestone, leaves existing ones as they are, and answers in input order", () =>
      Effect.gen(function* () {
        const repo = yield* DeliveryRepository
        const org = "org-register"
        const before = yield* repo.acquire(newDelivery(org, { providerMessageId: "r-0", status: "queued" }))
        const sentAt = DateTime.add(at, { minutes: 1 })
        const answer = yield* repo.registerMany([
          newDelivery(org, { providerMessageId: "r-1", status: "sent", at: sentAt, cost: null, senderAccountId: null }),
          newDelivery(org, { providerMessageId: "r-0", status: "sent", at: sentAt }),
          newDelivery(org, { providerMessageId: "r-2", recipient: "+15550001111", channel: "sms", at: sentAt }),
          newDelivery(org, { providerMessageId: "r-1", status: "queued", at: sentAt })
        ])
        expect(answer.map((r) => [r.delivery.providerMessageId, r.created])).toEqual([["r-1", true], ["r-0", false], ["r-2", true], ["r-1", false]])
        const [first, existing, sms, repeated] = answer.map((r) => r.delivery)
        expect(existing).toEqual(before)
        expect(repeated!.id).toBe(first!.id)
        expect(first).toMatchObject({ orgId: org, status: "sent", broadcastId: "b-1", milestones: { sent: sentAt }, cost: null, senderAccountId: null })
        expect(sms).toMatchObject({ channel: "sms", recipient: "+15550001111", status: "queued", milestones: { queued: sentAt }, cost: { value: 0.25, unit: "USD" } })
        expect(first!.id).toBeLessThan(sms!.id)
        expect(Option.map(yield* repo.findById(first!.id), (d) => d.status)).toEqual(Option.some("sent"))
        const again = yield* repo.registerMany([newDelivery(org, { providerMessageId: "r-2", recipient: "+15550001111", channel: "sms" })])
        expect(again).toEqual([{ delivery: sms, created: false }])
        const otherOrg = yield* repo.registerMany([newDelivery("org-register-2", { providerMessageId: "r-1" })])
        expect(otherOrg[0]!.created).toBe(true)
        expect(otherOrg[0]!.delivery.id).not.toBe(first!.id)
        expect(yield* repo.registerMany([])).toEqual([])
      }))

    it.effect("recipientsWithStatus lists a broadcast's recipients in the statuses once per channel, within the org", () =>
      Effect.gen(function* () {
        const repo = yield* DeliveryRepository
        const org = "org-retry"
        const row = (id: string, recipient: string, status: "failed" | "bounced" | "delivered", overrides: Partial<NewDelivery> = {}) =>
          newDelivery(org, { providerMessageId: id, recipient, status, broadcastId: "b-retry", contactId: null, ...overrides })
        yield* repo.registerMany([
          row("m-1", "ada@example.com", "failed"),
          row("m-2", "ada@example.com", "bounced", { contactId: "c-ada" }),
          row("m-3", "bob@example.com", "delivered"),
          row("m-4", "+15550001111", "failed", { channel: "sms" }),
          row("m-5", "cy@example.com", "failed", { broadcastId: "b-other" }),
          newDelivery("org-retry-2", { providerMessageId: "m-6", recipient: "eve@example.com", status: "failed", broadcastId: "b-retry" })
        ])
        expect(yield* repo.recipientsWithStatus(org, "b-retry", ["failed", "bounced"])).toEqual([
          { channel: "email", recipient: "ada@example.com", contactId: "c-ada" },
          { channel: "sms", recipient: "+15550001111", contactId: null }
        ])
        expect(yield* repo.recipientsWithStatus(org, "b-retry", ["delivered"])).toEqual([{ channel: "email", recipient: "bob@example.com", contactId: null }])
        expect(yield* repo.recipientsWithStatus(org, "b-retry", [])).toEqual([])
      }))

    it.effect("findForRecipient finds a broadcast's newest delivery to an address on a channel, within the org", () =>
      Effect.gen(function* () {
        const repo = yield* DeliveryRepository
        const org = "org-find-recipient"
        const older = yield* repo.acquire(newDelivery(org, { providerMessageId: "fr-1", broadcastId: "b-fr" }))
        const newer = yield* repo.acquire(newDelivery(org, { providerMessageId: "fr-2", broadcastId: "b-fr" }))
        yield* repo.acquire(newDelivery(org, { providerMessageId: "fr-3", broadcastId: "b-fr", channel: "sms", recipient: "+15550002222" }))
        yield* repo.acquire(newDelivery("org-find-recipient-2", { providerMessageId: "fr-4", broadcastId: "b-fr" }))
        expect(older.id).toBeLessThan(newer.id)
        const found = yield* repo.findForRecipient(org, "b-fr", "email", " Ada@Example.com ")
        expect(Option.map(found, (d) => d.id)).toEqual(Option.some(newer.id))
        expect(Option.map(yield* repo.findForRecipient(org, "b-fr", "sms", "+15550002222"), (d) => d.providerMessageId)).toEqual(Option.some("fr-3"))
        expect(Option.isNone(yield* repo.findForRecipient(org, "b-fr", "whatsapp", "ada@example.com"))).toBe(true)
        expect(Option.isNone(yield* repo.findForRecipient(org, "b-other", "email", "ada@example.com"))).toBe(true)
        expect(Option.isNone(yield* repo.findForRecipient("org-elsewhere", "b-fr", "email", "ada@example.com"))).toBe(true)
      }))
  })
}
