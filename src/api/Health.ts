import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { ServiceUnavailable } from "./Errors.js"

export const HealthStatus = Schema.Struct({
  status: Schema.Literal("ok"),
  version: Schema.String,
  uptimeSeconds: Schema.Number,
  database: Schema.Struct({
    kind: Schema.Literal("embedded", "postgres"),
    state: Schema.Literal("up"),
    latencyMs: Schema.Number,
    checkedAt: Schema.DateTimeUtc.annotations({ description: "when the database answered: checks within a second of it share its answer" })
  })
})

export class HealthApi extends HttpApiGroup.make("health").add(
  HttpApiEndpoint.get("health", "/health")
    .addSuccess(HealthStatus)
    .addError(ServiceUnavailable)
    .annotate(OpenApi.Summary, "Liveness and the database in use; 503 when the database does not answer")
) {}
