import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as OpenApi from "@effect/platform/OpenApi"
import { JSONSchema, Schema } from "effect"
import * as Generic from "../providers/Generic.js"
import type { VendorName } from "../providers/Registry.js"
import { Forbidden, NotFound, Overloaded, PayloadRejected, PayloadTooLarge, ServiceUnavailable, SignatureRejected } from "./Errors.js"

export const WebhookAccepted = Schema.Struct({
  accepted: Schema.Number.annotations({ description: "events stored for the first time" }),
  duplicates: Schema.Number.annotations({ description: "events stored before (retries): ignored" })
})

/** Whose webhook a route receives: the default org's (secrets from the environment), a stored connection's, or the org in its path. */
type Owner = "default" | "connection" | "org"

export interface WebhookRoute {
  readonly vendor: VendorName
  readonly owner: Owner
  /** Delivery events for the inbox, or a recipient's replies (STOP, START, …), applied at once. */
  readonly receives: "events" | "replies"
  /** In the router's syntax: `:connectionId`, `:orgId`. */
  readonly path: `/${string}`
  readonly summary: string
}

const pair = (
  vendor: VendorName, path: `/${string}`, summary: string, connectionSummary: string, receives: WebhookRoute["receives"] = "events"
): ReadonlyArray<WebhookRoute> => [
  { vendor, owner: "default", receives, path, summary },
  { vendor, owner: "connection", receives, path: `${path}/:connectionId`, summary: connectionSummary }
]

const generic = "Sendtrail's own signed format (docs/webhooks.md): x-webhook-signature = hex HMAC-SHA256 of the raw body"

/** Every provider webhook route: the one place a vendor's URLs are declared. */
export const webhookRoutes: ReadonlyArray<WebhookRoute> = [
  ...pair("generic", "/connect/webhook/generic", `${generic}, keyed with GENERIC_WEBHOOK_SECRET`, `${generic}, keyed with the connection's secret`),
  ...pair("sendgrid", "/connect/webhook/sendgrid", "SendGrid Event Webhook (ECDSA signature with SENDGRID_WEBHOOK_PUBLIC_KEY)", "SendGrid Event Webhook for a connection's account"),
  ...pair("mailgun", "/connect/webhook/mailgun", "Mailgun webhooks (HMAC with MAILGUN_WEBHOOK_SIGNING_KEY; replayed tokens refused)", "Mailgun webhooks for a connection's account"),
  ...pair("resend", "/connect/webhook/resend", "Resend webhooks (Svix signature with RESEND_WEBHOOK_SECRET)", "Resend webhooks for a connection's account"),
  ...pair("postmark", "/connect/webhook/postmark", "Postmark webhooks (HTTP Basic with POSTMARK_WEBHOOK_USER / POSTMARK_WEBHOOK_PASSWORD)", "Postmark webhooks for a connection's account"),
  ...pair("twilio", "/connect/webhook/twilio/status", "Twilio SMS/WhatsApp status callbacks (X-Twilio-Signature with TWILIO_AUTH_TOKEN)", "Twilio status callbacks for a connection's account"),
  ...pair("twilio", "/connect/webhook/twilio/inbound",
    "Twilio incoming messages (signed like status callbacks): STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT opt the number out of SMS (WhatsApp for whatsapp: senders); START, YES, UNSTOP lift only what a STOP set; other replies go on the contact's timeline. Answers empty TwiML",
    "Twilio incoming messages for a connection's account", "replies"),
  { vendor: "ses", owner: "org", receives: "events", path: "/connect/webhook/ses/:orgId", summary: "Amazon SES events through an SNS subscription, for the org in the path (TopicArn must be allowed for it)" },
  { vendor: "ses", owner: "default", receives: "events", path: "/api/ses-events", summary: "Amazon SES events through SNS for the default org (SES_TOPIC_ARNS)" }
]

const json = (schema: object, description: string) => ({ description, required: true, content: { "application/json": { schema } } })
const { $schema: _, ...genericBody } = JSONSchema.make(Schema.encodedSchema(Generic.Body))
const vendorFormat = (name: string) => `${name}'s own event format, unchanged (docs/providers.md); verified over the exact bytes`

/** What each vendor posts, for the OpenAPI description; the receiver reads the bytes raw and decodes them itself. */
const requestBodies: Record<VendorName, object> = {
  generic: json(genericBody, "one event or an array of events (docs/webhooks.md)"),
  sendgrid: json({ type: "array", items: { type: "object" } }, vendorFormat("SendGrid")),
  mailgun: json({ type: "object", required: ["signature", "event-data"] }, vendorFormat("Mailgun")),
  resend: json({ type: "object", required: ["type", "created_at", "data"] }, vendorFormat("Resend (Svix)")),
  postmark: json({ type: "object", required: ["RecordType"] }, vendorFormat("Postmark")),
  twilio: {
    description: vendorFormat("Twilio's status callback"), required: true,
    content: { "application/x-www-form-urlencoded": { schema: { type: "object", required: ["MessageSid", "MessageStatus"] } } }
  },
  ses: json({ type: "object", required: ["Type", "MessageId", "TopicArn", "Signature"] }, vendorFormat("Amazon SNS (an SES notification in its Message)"))
}

/** What a reply is answered with: no message back (Twilio sends its own STOP/START confirmations). */
export const emptyTwiml = `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`
const EmptyTwiml = HttpApiSchema.Text({ contentType: "text/xml" }).annotations({ description: emptyTwiml })

const replyBody = {
  description: "Twilio's incoming-message webhook, unchanged; verified over the URL and parameters", required: true,
  content: { "application/x-www-form-urlencoded": { schema: { type: "object", required: ["MessageSid", "From"] } } }
}

/** Updates of an org's Telegram bot (registered with POST /telegram-bots), in the router's syntax. */
export const telegramPath = "/api/telegram/webhook/:botId"

const telegramUpdates = HttpApiEndpoint.post("telegram.updates", "/api/telegram/webhook/:botId")
  .setPath(Schema.Struct({ botId: Schema.String }))
  .addSuccess(HttpApiSchema.NoContent)
  .addError(SignatureRejected).addError(PayloadRejected)
  .annotate(OpenApi.Summary, "Telegram Bot API updates for a bot of POST /telegram-bots: X-Telegram-Bot-Api-Secret-Token must be the bot's secret (else 401, nothing stored). A message goes on the timeline of the chat's contact (channel telegram, address = chat id); /stop opts the chat out, /start lifts only what /stop set; blocking the bot is a /stop; duplicate update_ids change nothing")
  .annotate(OpenApi.Override, { requestBody: json({ type: "object", required: ["update_id"] }, "a Telegram Update (core.telegram.org/bots/api#update), unchanged") })

const pathParams = { default: Schema.Struct({}), connection: Schema.Struct({ connectionId: Schema.String }), org: Schema.Struct({ orgId: Schema.String }) }

/**
 * The webhook routes as documented in the OpenAPI description. They are served as plain router routes
 * (api/WebhooksHttp.ts): the body is read raw, for signatures over the exact bytes.
 */
const errors = HttpApiGroup.make("webhooks")
  .addError(PayloadTooLarge).addError(NotFound).addError(Forbidden).addError(Overloaded).addError(ServiceUnavailable)

export const WebhooksApi = webhookRoutes.reduce<HttpApiGroup.HttpApiGroup<"webhooks", HttpApiEndpoint.HttpApiEndpoint.Any, HttpApiGroup.HttpApiGroup.Error<typeof errors>>>(
  (group, route) =>
    group.add(
      HttpApiEndpoint.post(`${route.vendor}.${route.receives}.${route.owner}`, route.path).setPath(pathParams[route.owner])
        .addSuccess(route.receives === "replies" ? EmptyTwiml : WebhookAccepted).addError(SignatureRejected).addError(PayloadRejected)
        .annotate(OpenApi.Summary, route.summary)
        .annotate(OpenApi.Override, { requestBody: route.receives === "replies" ? replyBody : requestBodies[route.vendor] })
    ),
  errors.add(telegramUpdates)
)
