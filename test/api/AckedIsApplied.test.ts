import * as SqlClient from "@effect/sql/SqlClient"
import { expect, layer } from "@effect/vitest"
import { Deferred, Duration, Effect, FastCheck as fc, Fiber, Layer, Logger, LogLevel } from "effect"
import { Pipeline } from "../../src/ingest/Pipeline.js"
import { configuredEnvironment, configuredService, genericDefaultSecret, genericRequest, post, unique, vendorServices } from "../support/providerRoutes.js"
import { inProcessService } from "../support/server.js"

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

// The test database layer holds 10 connections: 8 for everything else, 2 for the acks.
const service = inProcessService(configuredEnvironment, vendorServices).pipe(Layer.provide(Logger.minimumLogLevel(LogLevel.Error)))
const othersPool = 8

layer(service, { excludeTestServices: true })("acknowledging has its own connections", (it) => {
  it.effect("a webhook is answered while every other connection is held by a long transaction", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const release = yield* Deferred.make<void>()
      const holding = yield* Deferred.make<void>()
      let held = 0
      // Each blocker holds a connection of the shared pool in an open transaction until released.
      const blockers = yield* Effect.forEach(Array.from({ length: othersPool }), () =>
        Effect.fork(sql.withTransaction(Effect.gen(function* () {
          yield* sql`SELECT 1`
          if (++held === othersPool) yield* Deferred.succeed(holding, undefined)
          yield* Deferred.await(release)
        }))))
      yield* Deferred.await(holding)
      const event = { id: unique("ack-"), type: "delivered", timestamp: new Date().toISOString(), messageId: unique("m-"), recipient: "ada@example.com" }
      // Without a pool of its own the ack would wait for a blocker to end: the timeout says it did.
      const reply = yield* post("/connect/webhook/generic", genericRequest(genericDefaultSecret, event)).pipe(
        Effect.timeoutFail({ duration: Duration.seconds(10), onTimeout: () => new Error("the ack waited for the shared pool") }),
        Effect.ensuring(Deferred.succeed(release, undefined))
      )
      expect(reply).toMatchObject({ status: 200, body: { accepted: 1, duplicates: 0 } })
      yield* Effect.forEach(blockers, Fiber.join, { discard: true })
    }))
})
