import { expect, layer } from "@effect/vitest"
import { Effect, Layer, Logger, LogLevel } from "effect"
import { configuredEnvironment, vendorServices } from "../support/providerRoutes.js"
import { baseUrl, inProcessService } from "../support/server.js"

const service = inProcessService(configuredEnvironment, vendorServices).pipe(Layer.provide(Logger.minimumLogLevel(LogLevel.Error)))

interface Health { readonly database: { readonly state: string; readonly latencyMs: number; readonly checkedAt: string } }
const health = Effect.flatMap(baseUrl, (base) => Effect.promise(async () => {
  const response = await fetch(`${base}/health`)
  return { status: response.status, body: (await response.json()) as Health }
}))

layer(service, { excludeTestServices: true })("GET /health", (it) => {
  it.effect("checks within a second of a probe share its answer; a later check asks the database again", () =>
    Effect.gen(function* () {
      const first = yield* health
      expect(first).toMatchObject({ status: 200, body: { database: { state: "up" } } })
      const together = yield* Effect.all(Array.from({ length: 20 }, () => health), { concurrency: "unbounded" })
      const withinASecond = Date.now() - Date.parse(first.body.database.checkedAt) < 900
      // Unless the machine stalled past the window, all twenty answers are the first probe's.
      if (withinASecond) expect(new Set(together.map((h) => h.body.database.checkedAt))).toEqual(new Set([first.body.database.checkedAt]))
      yield* Effect.sleep("1100 millis")
      const later = yield* health
      expect(Date.parse(later.body.database.checkedAt)).toBeGreaterThan(Date.parse(first.body.database.checkedAt) + 1000)
    }))
})
