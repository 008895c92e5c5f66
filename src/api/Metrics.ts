import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiMiddleware from "@effect/platform/HttpApiMiddleware"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as HttpApiSecurity from "@effect/platform/HttpApiSecurity"
import * as OpenApi from "@effect/platform/OpenApi"
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
