import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpServerError from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Array as Arr, Cause, DateTime, Effect, Layer, Option, Redacted } from "effect"
import { createHash, timingSafeEqual } from "node:crypto"
import { AppConfig } from "../AppConfig.js"
import { WebhookStats } from "../ingest/WebhookStats.js"
import { header, histogramLines, OpsMetrics, sample } from "../metrics/OpsMetrics.js"
import { OpsQueries } from "../metrics/OpsQueries.js"
import { InboxRepository } from "../storage/InboxRepository.js"
import { SenderAccountRepository } from "../storage/SenderAccountRepository.js"
import { Api } from "./Api.js"
import { webhookRoutes } from "./Webhooks.js"
import { MetricsAuth, prometheusContentType } from "./Metrics.js"

const digest = (value: string) => createHash("sha256").update(value).digest()

/** Hashing first gives equal lengths, so each comparison takes the same time whatever the token. */
const matches = (token: Redacted.Redacted<string>, key: Option.Option<Redacted.Redacted<string>>) =>
  Option.match(key, { onNone: () => false, onSome: (k) => timingSafeEqual(digest(Redacted.value(token)), digest(Redacted.value(k))) })

export const MetricsAuthLive = Layer.effect(
  MetricsAuth,
  Effect.map(AppConfig, (config) =>
    MetricsAuth.of({
      bearer: (token) => {
        if (Option.isNone(config.adminApiKey) && Option.isNone(config.metricsToken)) {
          return Effect.fail({ error: "Unauthorized" as const, message: "neither ADMIN_API_KEY nor METRICS_TOKEN is configured: /metrics is closed" })
        }
        // Both comparisons always run: which key matched is not told by the timing.
        const admin = matches(token, config.adminApiKey)
        const metrics = matches(token, config.metricsToken)
        return admin || metrics
          ? Effect.void
          : Effect.fail({ error: "Unauthorized" as const, message: "Authorization must be 'Bearer <METRICS_TOKEN>' or 'Bearer <ADMIN_API_KEY>'" })
      }
    }))
)

export const MetricsLive = HttpApiBuilder.group(Api, "metrics", (handlers) =>
  Effect.gen(function* () {
    const stats = yield* WebhookStats
    const ops = yield* OpsMetrics
    const queries = yield* OpsQueries
    const inbox = yield* InboxRepository
    const senders = yield* SenderAccountRepository

    const render = Effect.gen(function* () {
      const webhooks = yield* stats.snapshot
      const snapshot = yield* ops.snapshot
      const backlog = yield* inbox.backlog()
      const now = yield* DateTime.now
      const deadLetters = yield* queries.openDeadLetters()
      const flagged = (yield* senders.list(undefined)).filter((account) => account.flaggedAt !== null).length
      const oldest = backlog.oldest === null ? 0 : Math.max(0, (now.epochMillis - backlog.oldest.getTime()) / 1000)
      const webhookLines = Arr.sort([...webhooks.entries()].map(([key, count]) => {
        const cut = key.indexOf("|")
        return sample("sendtrail_webhooks_total", [["vendor", key.slice(0, cut)], ["outcome", key.slice(cut + 1)]], count)
      }), (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0))
      const lines = [
        ...header("sendtrail_webhooks_total", "counter", "Webhook requests by vendor and outcome: accepted, or the reason they were refused."),
        ...webhookLines,
        ...header("sendtrail_events_ingested_total", "counter", "Inbox events applied by this instance's pipeline."),
        sample("sendtrail_events_ingested_total", [], snapshot.eventsIngested),
        ...header("sendtrail_inbox_backlog", "gauge", "Events stored but not yet applied."),
        sample("sendtrail_inbox_backlog", [], Number(backlog.pending)),
        ...header("sendtrail_inbox_oldest_unprocessed_seconds", "gauge", "Age of the oldest event not yet applied (0 when none)."),
        sample("sendtrail_inbox_oldest_unprocessed_seconds", [], oldest),
        ...header("sendtrail_pipeline_lag_seconds", "histogram", "Seconds from an event's receipt to its application, per applied inbox row."),
        ...histogramLines("sendtrail_pipeline_lag_seconds", [], snapshot.lag),
        ...header("sendtrail_dead_letters", "gauge", "Dead letters not yet replayed."),
        sample("sendtrail_dead_letters", [], deadLetters),
        ...header("sendtrail_flagged_sender_accounts", "gauge", "Sender accounts currently flagged."),
        sample("sendtrail_flagged_sender_accounts", [], flagged),
        ...header("sendtrail_unmatched_events_total", "counter",
          "Events from routes that name no org applied under DEFAULT_ORG_ID by this instance's pipeline, by provider and reason: no other org has a delivery with their message id (no-delivery), or several have (ambiguous). Listed by GET /admin/unmatched."),
        ...snapshot.unmatched.map((e) => sample("sendtrail_unmatched_events_total", [["provider", e.provider], ["reason", e.reason]], e.count)),
        ...header("sendtrail_http_request_duration_seconds", "histogram", "HTTP request duration by method and route (path template, or the status class when no route matched)."),
        ...snapshot.http.flatMap((entry) =>
          histogramLines("sendtrail_http_request_duration_seconds", [["method", entry.method], ["route", entry.route]], entry.histogram)),
        ...header("sendtrail_http_server_errors_total", "counter", "5xx answers by route and cause (the failure's tag or type, or the status a handler chose)."),
        ...snapshot.serverErrors.map((e) => sample("sendtrail_http_server_errors_total", [["route", e.route], ["cause", e.cause]], e.count))
      ]
      return HttpServerResponse.text(lines.join("\n") + "\n", { contentType: prometheusContentType })
    })
    return handlers.handle("metrics", () => render)
  })).pipe(Layer.provide(OpsQueries.Default))

interface Template {
  readonly path: string
  readonly segments: ReadonlyArray<string>
  readonly literals: number
}

/** Every endpoint's path template, to label requests by route rather than by raw path. */
const templates: ReadonlyArray<Template> = (() => {
  const paths = new Set<string>()
  HttpApi.reflect(Api, { onGroup: () => {}, onEndpoint: ({ endpoint }) => void paths.add(endpoint.path) })
  for (const route of webhookRoutes) paths.add(route.path)
  return [...paths].map((path) => {
    const segments = path.split("/")
    return { path, segments, literals: segments.filter((s) => !s.startsWith(":")).length }
  }).sort((a, b) => b.literals - a.literals)
})()

/** The most specific template matching the path (literal segments before parameters), if any. */
export const routeOf = (pathname: string): string | undefined => {
  const segments = pathname.split("/")
  return templates.find((t) =>
    t.segments.length === segments.length && t.segments.every((s, i) => s.startsWith(":") ? segments[i] !== "" : s === segments[i]))?.path
}

/** What a 5xx came from: the failure's tag or type (a defect's `RangeError`, say), else the status chosen. */
export const causeLabel = (cause: Cause.Cause<unknown> | undefined, status: number): string => {
  if (cause === undefined) return `status_${status}`
  if (Cause.isInterruptedOnly(cause)) return "interrupted"
  const failure = Cause.squash(cause)
  if (typeof failure === "object" && failure !== null) {
    if ("_tag" in failure && typeof failure._tag === "string") return failure._tag
    return failure.constructor.name
  }
  return typeof failure
}

/** Times a request into `sendtrail_http_request_duration_seconds`, and counts 5xx answers by cause. */
export const timed = (ops: OpsMetrics) => <E, R>(
  request: HttpServerRequest.HttpServerRequest,
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R> => {
  const started = performance.now()
  const record = (status: number, cause?: Cause.Cause<unknown>) => {
    // request.url is the path and query; parsing it as a URL cost a sixth of a request's CPU.
    const query = request.url.indexOf("?")
    const pathname = query < 0 ? request.url : request.url.slice(0, query)
    const route = routeOf(pathname) ?? `unmatched_${Math.floor(status / 100)}xx`
    return Effect.zipRight(
      ops.httpRequest(request.method, route, (performance.now() - started) / 1000),
      status >= 500 ? ops.serverError(route, causeLabel(cause, status)) : Effect.void
    )
  }
  return Effect.tapErrorCause(
    Effect.tap(app, (response) => record(response.status)),
    // A failure is turned into a response further out; its status is the one that response will have.
    (cause) => Effect.flatMap(HttpServerError.causeResponse(cause), ([response]) => record(response.status, cause))
  )
}
