import { expect, layer } from "@effect/vitest"
import { DateTime, Effect, Layer, Option } from "effect"
import { DeadLetterRepository } from "../../src/storage/DeadLetterRepository.js"
import { sqlBackends } from "../support/databases.js"

const at = DateTime.unsafeMake("2026-04-02T08:00:00Z")

const backends = [
  ...sqlBackends.map((b) => ({ name: b.name, layer: DeadLetterRepository.Default.pipe(Layer.provide(b.layer)) }))
]

for (const backend of backends) {
  layer(backend.layer)(`DeadLetterRepository (${backend.name})`, (it) => {
    it.effect("keeps the raw body byte for byte (NUL and invalid UTF-8 too) or the event with the error, lists newest first, and is replayed once", () =>
      Effect.gen(function* () {
        const letters = yield* DeadLetterRepository
        const body = Uint8Array.from([...Buffer.from('{"type":"nope"}'), 0x00, 0xff])
        const decode = yield* letters.add({
          orgId: "org-dl", provider: "generic", inboxId: null, stage: "decode",
          error: "type: expected one of …", rawBody: body, headers: { "svix-id": "msg_1" }, url: "https://x/connect/webhook/resend", event: null, at
        })
        const apply = yield* letters.add({
          orgId: "org-dl", provider: "generic", inboxId: null, stage: "apply",
          error: "defect", rawBody: null, headers: null, url: null, event: { providerEventId: "e-1" }, at: DateTime.add(at, { seconds: 1 })
        })
        const listed = yield* letters.list({ limit: 10, includeReplayed: false })
        expect(listed.map((l) => l.id).slice(0, 2)).toEqual([apply, decode])
        const found = Option.getOrThrow(yield* letters.findById(decode))
        expect(found).toMatchObject({ stage: "decode", rawBody: '{"type":"nope"}\u0000\ufffd', rawBodyBase64: Buffer.from(body).toString("base64"), headers: { "svix-id": "msg_1" }, url: "https://x/connect/webhook/resend", event: null, replayedAt: null })
        expect(Option.getOrThrow(yield* letters.findById(apply)).event).toEqual({ providerEventId: "e-1" })
        expect(yield* letters.markReplayed(apply, at)).toBe(true)
        expect(yield* letters.markReplayed(apply, at)).toBe(false)
        expect((yield* letters.list({ limit: 10, includeReplayed: false })).map((l) => l.id)).not.toContain(apply)
        expect((yield* letters.list({ limit: 10, includeReplayed: true })).map((l) => l.id)).toContain(apply)
      }))
  })
}
