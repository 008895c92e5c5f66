import { expect, layer } from "@effect/vitest"
import { DateTime, Effect, Layer, Option } from "effect"
import { BroadcastRepository } from "../../src/storage/BroadcastRepository.js"
import { sqlBackends } from "../support/databases.js"

const at = DateTime.unsafeMake("2026-04-03T09:00:00Z")

const backends = [
  ...sqlBackends.map((b) => ({ name: b.name, layer: BroadcastRepository.Default.pipe(Layer.provide(b.layer)) }))
]

for (const backend of backends) {
  layer(backend.layer)(`BroadcastRepository (${backend.name})`, (it) => {
    it.effect("a recipient removed from the list stays off it, and removing twice changes nothing", () =>
      Effect.gen(function* () {
        const repo = yield* BroadcastRepository
        const broadcast = { id: "b-list", orgId: "org-b", name: "Spring sale", category: "marketing" as const, channels: ["email" as const], createdAt: at }
        yield* repo.create(broadcast)
        yield* repo.create({ ...broadcast, name: "renamed" })
        expect(Option.map(yield* repo.findById("b-list"), (b) => b.name)).toEqual(Option.some("Spring sale"))
        yield* repo.addRecipients("b-list", [
          { channel: "email", address: "ada@example.com", contactId: "c-1" },
          { channel: "email", address: "bob@example.com", contactId: null }
        ])
        yield* repo.addRecipients("b-list", [{ channel: "email", address: "ada@example.com", contactId: "c-1" }])
        expect(yield* repo.removeRecipient("b-list", "email", "ada@example.com", "unsubscribed", at)).toBe(true)
        expect(yield* repo.removeRecipient("b-list", "email", "ada@example.com", "unsubscribed", at)).toBe(false)
        expect(yield* repo.removeRecipient("b-list", "email", "nobody@example.com", "unsubscribed", at)).toBe(false)
        expect(yield* repo.recipients("b-list")).toEqual([{ channel: "email", address: "bob@example.com", contactId: null }])
      }))

    it.effect("a summary counts the listed and removed recipients and names the broadcast a retry came from", () =>
      Effect.gen(function* () {
        const repo = yield* BroadcastRepository
        const original = { id: "b-sum", orgId: "org-sum", name: "Launch", category: "transactional" as const, channels: ["email" as const, "sms" as const], createdAt: at }
        yield* repo.create(original)
        yield* repo.addRecipients("b-sum", [
          { channel: "email", address: "ada@example.com", contactId: null },
          { channel: "sms", address: "+15550001111", contactId: "c-2" },
          { channel: "email", address: "bob@example.com", contactId: null }
        ])
        yield* repo.removeRecipient("b-sum", "email", "bob@example.com", "unsubscribed", at)
        expect(yield* repo.summary("b-sum")).toEqual(Option.some({ broadcast: original, retryOf: null, recipients: 2, removed: 1 }))
        const retry = { ...original, id: "b-sum-retry", name: "Launch (retry)" }
        yield* repo.createRetry(retry, "b-sum")
        yield* repo.createRetry({ ...retry, name: "again" }, "b-other")
        expect(yield* repo.summary("b-sum-retry")).toEqual(Option.some({ broadcast: retry, retryOf: "b-sum", recipients: 0, removed: 0 }))
        expect(Option.isNone(yield* repo.summary("b-none"))).toBe(true)
      }))
  })
}
