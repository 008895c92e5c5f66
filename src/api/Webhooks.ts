import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { Forbidden, NotFound, Overloaded, PayloadRejected, PayloadTooLarge, ServiceUnavailable, SignatureRejected } from "./Errors.js"

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
  .add(
    HttpApiEndpoint.post("sendgrid", "/connect/webhook/sendgrid")
      .addSuccess(WebhookAccepted).addError(SignatureRejected).addError(PayloadRejected)
      .annotate(OpenApi.Summary, "SendGrid Event Webhook (ECDSA signature with SENDGRID_WEBHOOK_PUBLIC_KEY)")
  )
  .add(
    HttpApiEndpoint.post("sendgridConnection")`/connect/webhook/sendgrid/${connectionId}`
      .addSuccess(WebhookAccepted).addError(SignatureRejected).addError(PayloadRejected)
      .annotate(OpenApi.Summary, "SendGrid Event Webhook for a connection's account")
  )
  .add(
    HttpApiEndpoint.post("mailgun", "/connect/webhook/mailgun")
      .addSuccess(WebhookAccepted).addError(SignatureRejected).addError(PayloadRejected)
      .annotate(OpenApi.Summary, "Mailgun webhooks (HMAC with MAILGUN_WEBHOOK_SIGNING_KEY; replayed tokens refused)")
  )
  .add(
    HttpApiEndpoint.post("mailgunConnection")`/connect/webhook/mailgun/${connectionId}`
      .addSuccess(WebhookAccepted).addError(SignatureRejected).addError(PayloadRejected)
      .annotate(OpenApi.Summary, "Mailgun webhooks for a connection's account")
  )
  .add(
    HttpApiEndpoint.post("resend", "/connect/webhook/resend")
      .addSuccess(WebhookAccepted).addError(SignatureRejected).addError(PayloadRejected)
      .annotate(OpenApi.Summary, "Resend webhooks (Svix signature with RESEND_WEBHOOK_SECRET)")
  )
  .add(
    HttpApiEndpoint.post("resendConnection")`/connect/webhook/resend/${connectionId}`
      .addSuccess(WebhookAccepted).addError(SignatureRejected).addError(PayloadRejected)
      .annotate(OpenApi.Summary, "Resend webhooks for a connection's account")
  )
  .add(
    HttpApiEndpoint.post("postmark", "/connect/webhook/postmark")
      .addSuccess(WebhookAccepted).addError(SignatureRejected).addError(PayloadRejected)
      .annotate(OpenApi.Summary, "Postmark webhooks (HTTP Basic with POSTMARK_WEBHOOK_USER / POSTMARK_WEBHOOK_PASSWORD)")
  )
  .add(
    HttpApiEndpoint.post("postmarkConnection")`/connect/webhook/postmark/${connectionId}`
      .addSuccess(WebhookAccepted).addError(SignatureRejected).addError(PayloadRejected)
      .annotate(OpenApi.Summary, "Postmark webhooks for a connection's account")
  )
  .add(
    HttpApiEndpoint.post("ses")`/connect/webhook/ses/${HttpApiSchema.param("orgId", Schema.String)}`
      .addSuccess(WebhookAccepted).addError(SignatureRejected).addError(PayloadRejected)
      .annotate(OpenApi.Summary, "Amazon SES events through an SNS subscription, for the org in the path (TopicArn must be allowed for it)")
  )
  .add(
    HttpApiEndpoint.post("sesDefault", "/api/ses-events")
      .addSuccess(WebhookAccepted).addError(SignatureRejected).addError(PayloadRejected)
      .annotate(OpenApi.Summary, "Amazon SES events through SNS for the default org (SES_TOPIC_ARNS)")
  )
  .add(
    HttpApiEndpoint.post("twilio", "/connect/webhook/twilio/status")
      .addSuccess(WebhookAccepted).addError(SignatureRejected).addError(PayloadRejected)
      .annotate(OpenApi.Summary, "Twilio SMS/WhatsApp status callbacks (X-Twilio-Signature with TWILIO_AUTH_TOKEN)")
  )
  .add(
    HttpApiEndpoint.post("twilioConnection")`/connect/webhook/twilio/status/${connectionId}`
      .addSuccess(WebhookAccepted).addError(SignatureRejected).addError(PayloadRejected)
      .annotate(OpenApi.Summary, "Twilio status callbacks for a connection's account")
  )
  .addError(PayloadTooLarge)
  .addError(NotFound)
  .addError(Forbidden)
  .addError(Overloaded)
  .addError(ServiceUnavailable) {}
