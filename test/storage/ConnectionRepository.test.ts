import { expect, layer } from "@effect/vitest"
import { DateTime, Effect, Layer, Option } from "effect"
import { ConnectionRepository, newConnectionId } from "../../src/storage/ConnectionRepository.js"
import { sqlBackends } from "../support/databases.js"

const at = DateTime.unsafeMake("2026-04-04T09:00:00Z")

const backends = [
  ...sqlBackends.map((b) => ({ name: b.name, layer: ConnectionRepository.Default.pipe(Layer.provide(b.layer)) }))
]

for (const backend of backends) {
  layer(backend.layer)(`ConnectionRepository (${backend.name})`, (it) => {
    it.effect("a connection is stored with its org, vendor and secrets, and listed per org oldest first", () =>
      Effect.gen(function* () {
        const repo = yield* ConnectionRepository
        const first = { id: newConnectionId(), orgId: "org-conn", vendor: "sendgrid", secrets: { publicKey: "MFkw…" }, createdAt: at }
        const second = { id: newConnectionId(), orgId: "org-conn", vendor: "mailgun", secrets: { signingKey: "key-1" }, createdAt: DateTime.add(at, { seconds: 1 }) }
        yield* repo.create(second)
        yield* repo.create(first)
        yield* repo.create({ ...first, id: newConnectionId(), orgId: "org-conn-other" })
        expect(Option.getOrThrow(yield* repo.findById(first.id))).toEqual(first)
        expect(yield* repo.findById("conn_missing")).toEqual(Option.none())
        expect((yield* repo.list("org-conn")).map((c) => c.id)).toEqual([first.id, second.id])
        expect((yield* repo.list(undefined)).length).toBeGreaterThanOrEqual(3)
      }))
  })
}
