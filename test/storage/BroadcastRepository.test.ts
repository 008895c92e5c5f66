import { expect, layer } from "@effect/vitest"
import { DateTime, Effect, Layer, Option } from "effect"
import { BroadcastRepository } from "../../src/storage/BroadcastRepository.js"
import * as MemoryBroadcasts from "../../src/storage/memory/BroadcastRepository.js"
import { sqlBackends } from "../support/databases.js"

const at = DateTime.unsafeMake("2026-04-03T09:00:00Z")

const backends = [
  { name: "in-memory", layer: MemoryBroadcasts.layer },
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
  })
}
