import { HttpApiEndpoint, HttpApiGroup, HttpApiMiddleware, HttpApiSchema, HttpApiSecurity, OpenApi } from "@effect/platform"
import { Unauthorized } from "./Errors.js"

/** `Authorization: Bearer $ADMIN_API_KEY` or `Bearer $METRICS_TOKEN`; with neither configured, refused. */
export class MetricsAuth extends HttpApiMiddleware.Tag<MetricsAuth>()("Sendtrail/MetricsAuth", {
  failure: Unauthorized,
  security: { bearer: HttpApiSecurity.bearer }
}) {}

export const prometheusContentType = "text/plain; version=0.0.4; charset=utf-8"

/** Operator-level, not org-scoped: its own group and credentials. */
export class MetricsApi extends HttpApiGroup.make("metrics")
  .add(
    HttpApiEndpoint.get("metrics", "/metrics")
      .addSuccess(HttpApiSchema.Text({ contentType: prometheusContentType }))
      .annotate(OpenApi.Summary, "Prometheus text exposition: webhooks, ingestion, backlog, pipeline lag, actors, dead letters, flagged senders, HTTP latency")
  )
  .middleware(MetricsAuth)
  .addError(Unauthorized) {}
