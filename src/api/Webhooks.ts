import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { Overloaded, PayloadRejected, SignatureRejected } from "./Errors.js"

export const WebhookAccepted = Schema.Struct({
  accepted: Schema.Number.annotations({ description: "events stored for the first time" }),
  duplicates: Schema.Number.annotations({ description: "events stored before (retries): ignored" })
})

/** Provider webhooks. Bodies are read raw: signatures are verified over the exact bytes received. */
export class WebhooksApi extends HttpApiGroup.make("webhooks")
  .add(
    HttpApiEndpoint.post("generic", "/connect/webhook/generic")
      .addSuccess(WebhookAccepted)
      .addError(SignatureRejected)
      .addError(PayloadRejected)
      .addError(Overloaded)
      .annotate(OpenApi.Summary, "Sendtrail's own signed event format (docs/webhooks.md)")
      .annotate(
        OpenApi.Description,
        "One event or a JSON array of events; header x-webhook-signature = hex HMAC-SHA256 of the raw body with GENERIC_WEBHOOK_SECRET. Answered only after the events are durably stored."
      )
  ) {}
