import * as SqlClient from "@effect/sql/SqlClient"
import { expect, layer } from "@effect/vitest"
import { Effect, FastCheck as fc } from "effect"
import { Pipeline } from "../../src/ingest/Pipeline.js"
import { configuredService, genericDefaultSecret, genericRequest, post } from "../support/providerRoutes.js"

/** Strings a careless or hostile sender might put anywhere: odd Unicode, lone surrogates, NUL, sizes around every bound. */
const hostileText = fc.oneof(
  { arbitrary: fc.stringMatching(/^[a-z0-9._-]{1,12}$/), weight: 12 },
  fc.string({ minLength: 1, maxLength: 12 }),
  fc.string16bits({ minLength: 1, maxLength: 12 }),
  fc.fullUnicodeString({ minLength: 1, maxLength: 12 }),
  fc.constantFrom(64, 254, 255, 256, 320, 321, 4096, 4097, 8193, 70_000).map((n) => "x".repeat(n)),
  fc.constantFrom(" ", "\u0000", "=HYPERLINK(\"x\")", "a@b", "+15550100")
)

const hostileTime = fc.oneof(
  { arbitrary: fc.date({ min: new Date("2020-01-01"), max: new Date() }).map((d) => d.toISOString()), weight: 8 },
  fc.date({ min: new Date("1990-01-01"), max: new Date("2100-01-01") }).map((d) => d.toISOString()),
  fc.integer({ min: 0, max: 8_640_000_000_000_000 }),
  fc.constantFrom("+010000-01-01T00:00:00Z", "+275760-09-13T00:00:00Z", "2026-13-45", "", "now")
)

const hostileEvent = fc.record({
  id: hostileText,
  type: fc.oneof({ arbitrary: fc.constantFrom("sent", "delivered", "opened", "clicked", "bounced", "soft_bounced", "complained", "unsubscribed", "failed"), weight: 8 }, hostileText),
  timestamp: hostileTime,
  messageId: hostileText,
  recipient: fc.oneof(hostileText, hostileText.map((local) => `${local}@example.com`)),
  senderAccountId: fc.option(hostileText, { nil: undefined }),
  broadcastId: fc.option(hostileText, { nil: undefined }),
  data: fc.option(fc.record({ reason: hostileText, url: hostileText, bounceKind: fc.constantFrom("hard", "soft"), userAgent: hostileText }, { requiredKeys: [] }), { nil: undefined })
}, { requiredKeys: ["id", "type", "timestamp", "messageId", "recipient"] })

layer(configuredService, { excludeTestServices: true })("whatever a signed body holds", (it) => {
  it.effect("it gets a 4xx, or a 2xx and is then applied without a dead letter", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const pipeline = yield* Pipeline
      const samples = fc.sample(fc.array(hostileEvent, { minLength: 1, maxLength: 2 }), { numRuns: 150, seed: 14 })
      const replies = yield* Effect.forEach(samples, (events) => post("/connect/webhook/generic", genericRequest(genericDefaultSecret, events)), { concurrency: 8 })
      for (const reply of replies) expect(reply.status, JSON.stringify(reply.body)).toBeLessThan(500)
      expect(replies.every((reply) => reply.status === 200 || reply.status >= 400)).toBe(true)
      const acknowledged = replies.filter((reply) => reply.status === 200).length
      yield* pipeline.drain
      const [dead] = yield* sql<{ n: number; error: string | null }>`
        SELECT count(*)::int AS n, max(error) AS error FROM dead_letters WHERE stage = 'apply'`.pipe(Effect.orDie)
      const [pending] = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM ingest_inbox WHERE processed_at IS NULL`.pipe(Effect.orDie)
      expect(acknowledged).toBeGreaterThan(10) // the generators reach the ack, not only refusals
      expect(dead).toEqual({ n: 0, error: null })
      expect(pending?.n).toBe(0)
    }), { timeout: 120_000 })
})
