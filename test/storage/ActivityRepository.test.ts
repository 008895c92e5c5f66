import { expect, layer } from "@effect/vitest"
import { DateTime, Effect, Layer } from "effect"
import type { NewActivity } from "../../src/storage/ActivityRepository.js"
import { ActivityRepository } from "../../src/storage/ActivityRepository.js"
import * as MemoryActivities from "../support/memory/ActivityRepository.js"
import { sqlBackends } from "../support/databases.js"

const backends = [
  { name: "in-memory", layer: MemoryActivities.layer },
  ...sqlBackends.map((b) => ({ name: b.name, layer: ActivityRepository.Default.pipe(Layer.provide(b.layer)) }))
]

const at = DateTime.unsafeMake("2026-03-01T10:00:00Z")
const activity = (orgId: string, overrides: Partial<NewActivity> = {}): NewActivity => ({
  orgId,
  contactId: `${orgId}-contact`,
  deliveryId: 42,
  kind: "email_bounced",
  title: "Email bounced",
  reason: "mailbox full",
  sourceKey: "generic:e-1",
  occurredAt: at,
  ...overrides
})

for (const backend of backends) {
  layer(backend.layer)(`ActivityRepository (${backend.name})`, (it) => {
    it.effect("recording the same cause twice adds one activity; another kind from that cause adds another", () =>
      Effect.gen(function* () {
        const repo = yield* ActivityRepository
        expect(yield* repo.record(activity("org-record"))).toBe(true)
        expect(yield* repo.record(activity("org-record", { title: "Bounced again" }))).toBe(false)
        expect(yield* repo.record(activity("org-record", { kind: "contact_suppressed", title: "Suppressed" }))).toBe(true)
        expect(yield* repo.record(activity("org-record-2", { contactId: "org-record-contact" }))).toBe(true)
        const timeline = yield* repo.forContact("org-record-contact", 10)
        expect(timeline.map((a) => [a.orgId, a.kind, a.title])).toEqual([
          ["org-record-2", "email_bounced", "Email bounced"],
          ["org-record", "contact_suppressed", "Suppressed"],
          ["org-record", "email_bounced", "Email bounced"]
        ])
        expect(timeline[2]).toMatchObject({ deliveryId: 42, reason: "mailbox full", occurredAt: at })
      }))

    it.effect("forContact lists a contact's activities newest first, up to the limit", () =>
      Effect.gen(function* () {
        const repo = yield* ActivityRepository
        for (const minutes of [5, 1, 9, 3]) {
          yield* repo.record(activity("org-timeline", {
            sourceKey: `e-${minutes}`,
            occurredAt: DateTime.add(at, { minutes }),
            deliveryId: null,
            reason: null
          }))
        }
        yield* repo.record(activity("org-timeline", { contactId: null, sourceKey: "e-anonymous" }))
        const latest = yield* repo.forContact("org-timeline-contact", 3)
        expect(latest.map((a) => a.occurredAt)).toEqual([9, 5, 3].map((minutes) => DateTime.add(at, { minutes })))
        expect(latest[0]).toMatchObject({ deliveryId: null, reason: null })
        expect(yield* repo.forContact("nobody", 10)).toEqual([])
      }))

    it.effect("an audit entry with a source key is written once, one without every time", () =>
      Effect.gen(function* () {
        const repo = yield* ActivityRepository
        const entry = {
          orgId: "org-audit",
          actor: "system",
          action: "suppression.added",
          subject: "email:ada@example.com",
          details: { reason: "bounce", nested: { codes: [550, 551] } },
          sourceKey: "generic:e-7"
        }
        yield* repo.audit(entry)
        yield* repo.audit({ ...entry, details: { reason: "complaint" } })
        yield* repo.audit({ ...entry, action: "contact.bounced" })
        yield* repo.audit({ ...entry, actor: "admin@org", sourceKey: null })
        yield* repo.audit({ ...entry, actor: "admin@org", sourceKey: null })
        const log = yield* repo.auditLog("org-audit", 10)
        expect(log.map((e) => [e.actor, e.action, e.sourceKey])).toEqual([
          ["admin@org", "suppression.added", null],
          ["admin@org", "suppression.added", null],
          ["system", "contact.bounced", "generic:e-7"],
          ["system", "suppression.added", "generic:e-7"]
        ])
        expect(log[3]!.details).toEqual({ reason: "bounce", nested: { codes: [550, 551] } })
        expect(yield* repo.auditLog("org-audit", 2)).toEqual(log.slice(0, 2))
        expect(yield* repo.auditLog("org-audit-2", 10)).toEqual([])
      }))
  })
}
