import { expect, layer } from "@effect/vitest"
import { Effect, Layer, Logger, LogLevel } from "effect"
import { Pipeline } from "../../src/ingest/Pipeline.js"
import { adminKey, configuredEnvironment, genericDefaultSecret, genericRequest, post, unconfiguredService, unique, vendorServices } from "../support/providerRoutes.js"
import { baseUrl, inProcessService } from "../support/server.js"

const metricsToken = "metrics-scrape-token"
const service = inProcessService({ ...configuredEnvironment, METRICS_TOKEN: metricsToken }, vendorServices).pipe(
  Layer.provide(Logger.minimumLogLevel(LogLevel.Error))
)

const scrape = (authorization?: string) =>
  Effect.flatMap(baseUrl, (base) =>
    Effect.promise(async () => {
      const response = await fetch(`${base}/metrics`, authorization === undefined ? {} : { headers: { authorization } })
      return { status: response.status, contentType: response.headers.get("content-type"), text: await response.text() }
    }))

/** The value of the sample line `name{labels}` (labels as written), or undefined. */
const valueOf = (text: string, series: string) => {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

const event = (messageId: string, type: string) =>
  ({ id: unique("evt-"), type, timestamp: new Date().toISOString(), messageId, recipient: `${unique("r")}@example.com`, data: {} })

layer(service, { excludeTestServices: true })("GET /metrics", (it) => {
  it.effect("is refused without the token or with a wrong one, and served with METRICS_TOKEN or the admin key", () =>
    Effect.gen(function* () {
      expect(yield* scrape()).toMatchObject({ status: 401, text: expect.stringContaining("Unauthorized") })
      expect((yield* scrape("Bearer nope")).status).toBe(401)
      expect((yield* scrape(`Bearer ${metricsToken}x`)).status).toBe(401)
      const withToken = yield* scrape(`Bearer ${metricsToken}`)
      expect(withToken.status).toBe(200)
      expect(withToken.contentType).toMatch(/^text\/plain; version=0\.0\.4/)
      expect((yield* scrape(`Bearer ${adminKey}`)).status).toBe(200)
    }))

  it.effect("counts webhooks by vendor and outcome, events ingested, pipeline lag, backlog and gauges", () =>
    Effect.gen(function* () {
      const before = (yield* scrape(`Bearer ${metricsToken}`)).text
      const accepted = valueOf(before, "sendtrail_webhooks_total{vendor=\"generic\",outcome=\"accepted\"}") ?? 0
      const ingested = valueOf(before, "sendtrail_events_ingested_total") ?? 0
      const lagCount = valueOf(before, "sendtrail_pipeline_lag_seconds_count") ?? 0
      const signed = genericRequest(genericDefaultSecret, [event(unique("gen-"), "delivered"), event(unique("gen-"), "delivered")])
      expect((yield* post("/connect/webhook/generic", signed)).status).toBe(200)
      expect((yield* post("/connect/webhook/generic", { ...signed, body: signed.body.replace("delivered", "bounced") })).status).toBe(401)
      yield* (yield* Pipeline).drain
      const after = (yield* scrape(`Bearer ${metricsToken}`)).text
      expect(valueOf(after, "sendtrail_webhooks_total{vendor=\"generic\",outcome=\"accepted\"}")).toBe(accepted + 1)
      expect(valueOf(after, "sendtrail_webhooks_total{vendor=\"generic\",outcome=\"signature-mismatch\"}")).toBeGreaterThanOrEqual(1)
      expect(valueOf(after, "sendtrail_events_ingested_total")).toBe(ingested + 2)
      expect(valueOf(after, "sendtrail_pipeline_lag_seconds_count")).toBe(lagCount + 2)
      expect(valueOf(after, "sendtrail_pipeline_lag_seconds_bucket{le=\"+Inf\"}")).toBe(lagCount + 2)
      expect(valueOf(after, "sendtrail_inbox_backlog")).toBe(0)
      expect(valueOf(after, "sendtrail_inbox_oldest_unprocessed_seconds")).toBe(0)
      expect(valueOf(after, "sendtrail_dead_letters")).toBe(0)
      expect(valueOf(after, "sendtrail_flagged_sender_accounts")).toBe(0)
      expect(after).toContain("# TYPE sendtrail_pipeline_lag_seconds histogram")
    }))

  it.effect("times HTTP requests by method and route template, unmatched paths by status class", () =>
    Effect.gen(function* () {
      const base = yield* baseUrl
      yield* Effect.promise(() => fetch(`${base}/health`).then((r) => r.text()))
      yield* Effect.promise(() => fetch(`${base}/broadcast/b_${unique("")}?status=sent`).then((r) => r.text()))
      yield* Effect.promise(() => fetch(`${base}/no/such/${unique("")}`).then((r) => r.text()))
      const text = (yield* scrape(`Bearer ${metricsToken}`)).text
      expect(valueOf(text, "sendtrail_http_request_duration_seconds_count{method=\"GET\",route=\"/health\"}")).toBeGreaterThanOrEqual(1)
      expect(valueOf(text, "sendtrail_http_request_duration_seconds_count{method=\"GET\",route=\"/broadcast/:id\"}")).toBeGreaterThanOrEqual(1)
      expect(valueOf(text, "sendtrail_http_request_duration_seconds_count{method=\"GET\",route=\"unmatched_4xx\"}")).toBeGreaterThanOrEqual(1)
      expect(text).not.toContain("/no/such")
    }))
})

layer(unconfiguredService, { excludeTestServices: true })("GET /metrics with neither key configured", (it) => {
  it.effect("is refused whatever the token", () =>
    Effect.gen(function* () {
      expect(yield* scrape("Bearer anything")).toMatchObject({ status: 401, text: expect.stringContaining("neither ADMIN_API_KEY nor METRICS_TOKEN") })
    }))
})

const overloaded = inProcessService({ ...configuredEnvironment, METRICS_TOKEN: metricsToken, INBOX_MAX_BACKLOG: "1", PIPELINE_ENABLED: "false" }, vendorServices).pipe(
  Layer.provide(Logger.minimumLogLevel(LogLevel.Error))
)

layer(overloaded, { excludeTestServices: true })("GET /metrics on an overloaded instance", (it) => {
  it.effect("counts 5xx answers by route and cause", () =>
    Effect.gen(function* () {
      const statuses: Array<number> = []
      for (let i = 0; i < 3; i++) statuses.push((yield* post("/connect/webhook/generic", genericRequest(genericDefaultSecret, [event(unique("m-"), "sent")]))).status)
      expect(statuses).toContain(503)
      const text = (yield* scrape(`Bearer ${metricsToken}`)).text
      const line = text.split("\n").find((l) => l.startsWith("sendtrail_http_server_errors_total{route=\"/connect/webhook/generic\""))
      expect(line).toMatch(/^sendtrail_http_server_errors_total\{route="\/connect\/webhook\/generic",cause="[A-Za-z_0-9]+"\} [1-9]/)
      expect(text).toContain("# TYPE sendtrail_http_server_errors_total counter")
    }))
})
