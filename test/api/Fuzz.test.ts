import { expect, layer } from "@effect/vitest"
import { Effect, FastCheck as fc, Layer, Logger, LogLevel } from "effect"
import { createBroadcast, jwtSecret, orgToken } from "../support/broadcasts.js"
import { apiSeeds, fillPath, hostileAttempt, hostileBody, hostileParam, poisoned, webhookRoutes } from "../support/fuzz.js"
import { webhookRoutes as declaredRoutes } from "../../src/api/Webhooks.js"
import { adminKey, configuredEnvironment, vendorServices } from "../support/providerRoutes.js"
import { baseUrl, inProcessService } from "../support/server.js"

// The whole service: every provider configured, the org API keyed, the admin routes open to the key.
const service = inProcessService({ ...configuredEnvironment, JWT_SECRET: jwtSecret }, vendorServices).pipe(
  Layer.provide(Logger.minimumLogLevel(LogLevel.None))
)

const perWebhookRoute = 200
const perApiRoute = 25

interface Outcome {
  readonly status: number
  readonly where: string
}

const send = (base: string, method: string, path: string, body: Uint8Array | string | undefined, headers: Record<string, string>) =>
  fetch(`${base}${path}`, { method, headers, ...(body === undefined || method === "GET" ? {} : { body }) })
    .then(async (response): Promise<Outcome> => {
      await response.arrayBuffer()
      return { status: response.status, where: `${method} ${path.slice(0, 80)}` }
    })

layer(service, { excludeTestServices: true })("fuzzed bodies on every route", (it) => {
  it.effect("no webhook route answers 5xx to random, mutated, poisoned, deep or binary bodies, signed or not", () =>
    Effect.gen(function* () {
      const base = yield* baseUrl
      const requests = webhookRoutes.flatMap((route, i) =>
        fc.sample(hostileAttempt, { numRuns: perWebhookRoute, seed: 1400 + i }).map((attempt) => ({ path: route.path, ...route.request(attempt) })))
      const outcomes = yield* Effect.forEach(requests, (r) => Effect.promise(() => send(base, "POST", r.path, r.body, r.headers)), { concurrency: 8 })
      expect(outcomes.filter((o) => o.status >= 500)).toEqual([])
      expect(outcomes.filter((o) => o.status === 200).length).toBeGreaterThan(0) // some near misses still decode
      expect((yield* Effect.promise(() => fetch(`${base}/health`))).status).toBe(200)
      // Every route of the table but those whose path names an org or connection is fuzzed.
      const fuzzed = new Set(webhookRoutes.map((route) => route.path))
      expect(declaredRoutes.filter((route) => !route.path.includes(":") && !fuzzed.has(route.path)).map((route) => route.path)).toEqual([])
    }), { timeout: 120_000 })

  it.effect("no org API or admin route answers 5xx to hostile bodies and path parameters", () =>
    Effect.gen(function* () {
      const base = yield* baseUrl
      const org = "fuzz-org"
      const broadcastId = yield* createBroadcast(org)
      const auth = { authorization: `Bearer ${yield* orgToken(org)}`, orgid: org }
      const spec = yield* Effect.promise(() => fetch(`${base}/openapi.json`).then((r) => r.json() as Promise<{ paths: Record<string, Record<string, unknown>> }>))
      const operations = Object.entries(spec.paths).flatMap(([path, methods]) =>
        Object.keys(methods).map((method) => ({ path, method: method.toUpperCase() })))
        .filter(({ path }) => !path.startsWith("/connect/webhook") && path !== "/api/ses-events" && path !== "/events/stream")
      expect(operations.length).toBeGreaterThan(20)
      const requests: Array<{ method: string; path: string; body: Uint8Array; headers: Record<string, string> }> = []
      for (const [i, { path, method }] of operations.entries()) {
        const headers = { ...(path.startsWith("/admin") ? { authorization: `Bearer ${adminKey}` } : auth), "content-type": "application/json" }
        // Near-valid bodies (one string poisoned) reach the database; any bytes at all test the parsers.
        const seed = apiSeeds[path]
        const bodies = seed === undefined ? hostileBody : fc.oneof({ arbitrary: poisoned(seed), weight: 3 }, hostileBody)
        const params = fc.oneof({ arbitrary: fc.constant(broadcastId), weight: 2 }, hostileParam)
        const samples = fc.sample(fc.tuple(bodies, params), { numRuns: perApiRoute, seed: 2400 + i })
        for (const [body, param] of samples) requests.push({ method, path: fillPath(path, param), body, headers })
      }
      const outcomes = yield* Effect.forEach(requests, (r) => Effect.promise(() => send(base, r.method, r.path, r.body, r.headers)), { concurrency: 8 })
      expect(outcomes.filter((o) => o.status >= 500)).toEqual([])
      expect((yield* Effect.promise(() => fetch(`${base}/health`))).status).toBe(200)
    }), { timeout: 120_000 })
})
