import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpApiSwagger from "@effect/platform/HttpApiSwagger"
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as BunHttpServer from "@effect/platform-bun/BunHttpServer"
import { Effect, Layer } from "effect"
import { AppConfig } from "../AppConfig.js"
import { OpsMetrics } from "../metrics/OpsMetrics.js"
import { AdminAuthLive, AdminLive } from "./AdminHttp.js"
import { Api } from "./Api.js"
import { AuditLive } from "./AuditHttp.js"
import { DashboardLive } from "./DashboardHttp.js"
import { jsonBodyLimits, storableUrl, uniformDecodeErrors } from "./ErrorShape.js"
import { BroadcastListsLive } from "./BroadcastListsHttp.js"
import { BroadcastsLive } from "./BroadcastsHttp.js"
import { ContactsLive } from "./ContactsHttp.js"
import { EventsLive } from "./EventsHttp.js"
import { MetricsAuthLive, MetricsLive, timed } from "./MetricsHttp.js"
import { HealthLive } from "./HealthHttp.js"
import { NotificationsLive } from "./NotificationsHttp.js"
import { InsightsLive } from "./InsightsHttp.js"
import { ReportsLive } from "./ReportsHttp.js"
import { OrgAuthLive } from "./OrgAuthHttp.js"
import { SenderAccountsLive } from "./SenderAccountsHttp.js"
import { SuppressionsLive } from "./SuppressionsHttp.js"
import { TelegramBotsLive } from "./TelegramBotsHttp.js"
import { TrackingOrgLive } from "./TrackingOrgHttp.js"
import { TrackingLive } from "./TrackingHttp.js"
import { WebhooksLive } from "./WebhooksHttp.js"
import { webhookBunRoutes } from "./WebhookRoutes.js"

const ApiLive = HttpApiBuilder.api(Api).pipe(
  Layer.provide(Layer.mergeAll(HealthLive, AdminLive, TrackingLive, TrackingOrgLive, BroadcastsLive, BroadcastListsLive, ContactsLive, SuppressionsLive, SenderAccountsLive, TelegramBotsLive, AuditLive, ReportsLive, InsightsLive, MetricsLive, EventsLive, NotificationsLive)),
  Layer.provide(Layer.mergeAll(AdminAuthLive, OrgAuthLive, MetricsAuthLive))
)

/**
 * Around every request, in one middleware (one wrapper less per request than a layer each): timing,
 * JSON bodies' limits, and the uniform shape of decode errors. Together they cost a 404 half its
 * throughput (docs/benchmarks.md): keep what runs here cheap.
 */
const RequestMiddleware = HttpApiBuilder.middleware(Effect.map(OpsMetrics, (ops) => (app) =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => timed(ops)(request, storableUrl(request, jsonBodyLimits(request, uniformDecodeErrors(app)))))))

/**
 * The API, the webhook routes, the dashboard at `/dashboard`, `/openapi.json` and Swagger UI at `/docs`,
 * served by Bun on `port` (0: a free one), the providers' event webhooks as Bun's own routes.
 */
export const serve = (port: number) =>
  HttpApiBuilder.serve().pipe(
    Layer.provide(RequestMiddleware),
    Layer.provide(HttpApiSwagger.layer({ path: "/docs" })),
    Layer.provide(HttpApiBuilder.middlewareOpenApi({ path: "/openapi.json" })),
    Layer.provide(WebhooksLive),
    Layer.provide(DashboardLive),
    Layer.provide(ApiLive),
    // The per-request span (its URL, headers and client address gathered on every request) goes to no
    // exporter: it cost a quarter of the CPU of a request before any work (docs/benchmarks.md).
    HttpMiddleware.withTracerDisabledWhen(() => true),
    HttpServer.withLogAddress,
    Layer.provideMerge(Layer.unwrapEffect(Effect.map(webhookBunRoutes, (routes) => BunHttpServer.layer({ port, routes }))))
  )

/** Bun's server on PORT. */
export const layer = Layer.unwrapEffect(Effect.map(AppConfig, (config) => serve(config.port)))
