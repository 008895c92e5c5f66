import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { Forbidden, NotFound, Overloaded, PayloadRejected, PayloadTooLarge, SignatureRejected } from "./Errors.js"

export const WebhookAccepted = Schema.Struct({
  accepted: Schema.Number.annotations({ description: "events stored for the first time" }),
  duplicates: Schema.Number.annotations({ description: "events stored before (retries): ignored" })
})

const connectionId = HttpApiSchema.param("connectionId", Schema.String)

const generic = "Sendtrail's own signed format (docs/webhooks.md): x-webhook-signature = hex HMAC-SHA256 of the raw body"

/** Provider webhooks. Bodies are read raw: signatures are verified over the exact bytes received. */
export class WebhooksApi extends HttpApiGroup.make("webhooks")
  .add(
    HttpApiEndpoint.post("generic", "/connect/webhook/generic")
      .addSuccess(WebhookAccepted).addError(SignatureRejected).addError(PayloadRejected)
      .annotate(OpenApi.Summary, `${generic}, keyed with GENERIC_WEBHOOK_SECRET`)
  )
  .add(
    HttpApiEndpoint.post("genericConnection")`/connect/webhook/generic/${connectionId}`
      .addSuccess(WebhookAccepted).addError(SignatureRejected).addError(PayloadRejected)
      .annotate(OpenApi.Summary, `${generic}, keyed with the connection's secret`)
  )
  .addError(PayloadTooLarge)
  .addError(NotFound)
  .addError(Forbidden)
  .addError(Overloaded) {}
