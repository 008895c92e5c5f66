import * as SqlClient from "@effect/sql/SqlClient"
import { expect, layer } from "@effect/vitest"
import { Deferred, Duration, Effect, Fiber, Layer, Logger, LogLevel } from "effect"
import { configuredEnvironment, genericDefaultSecret, genericRequest, post, unique, vendorServices } from "../support/providerRoutes.js"
import { inProcessService } from "../support/server.js"

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
