import { Effect, Schema } from "effect"
import type { BounceKind, EventDetails, EventType, NormalizedEvent } from "../domain/Event.js"
import { normalizeAddress } from "../domain/Event.js"
import { isMachineUserAgent } from "../domain/Machine.js"
import { enhancedStatusIn, idsOf, Instant, nonBlank, optional, tagsOf, Text, trimmed } from "./Fields.js"
import { decodeFirst, PayloadRejected, show } from "./Webhook.js"

const Recipients = Schema.Union(Schema.String, Schema.Array(Schema.String))

const EmailEvent = Schema.Struct({
  type: Schema.String,
  created_at: Instant,
  data: Schema.Struct({
    email_id: nonBlank("a non-empty email id"),
    to: Recipients,
    tags: Schema.optional(Schema.Unknown),
    bounce: optional(Schema.Struct({ type: Text, subType: Text, message: Text })),
    click: optional(Schema.Struct({ link: Text, ipAddress: Text, userAgent: Text })),
    open: optional(Schema.Struct({ ipAddress: Text, userAgent: Text })),
    failed: optional(Schema.Struct({ reason: Text })),
    suppressed: optional(Schema.Struct({ type: Text, message: Text }))
  })
})
type EmailEvent = typeof EmailEvent.Type

const Kind = Schema.Struct({ type: Schema.String })

/** Email events we track (resend.com/docs/webhooks/event-types); inbound, contact, domain and suppression events are skipped. */
export const tracked: ReadonlyMap<string, EventType> = new Map<string, EventType>([
  ["email.scheduled", "queued"],
  ["email.sent", "sent"],
  ["email.delivered", "delivered"],
  ["email.delivery_delayed", "deferred"],
  ["email.complained", "complained"],
  ["email.bounced", "bounced"],
  ["email.opened", "opened"],
  ["email.clicked", "clicked"],
  ["email.failed", "failed"],
  ["email.suppressed", "failed"]
])

/** Resend documents email.bounced as permanent; its `bounce.type` (SES vocabulary) makes Transient/Undetermined soft. */
const bounceKindOf = (type: string | undefined): BounceKind => type === undefined || type.toLowerCase() === "permanent" ? "hard" : "soft"

const classify = (event: EmailEvent, type: EventType): { type: EventType; details: EventDetails } => {
  const { bounce, click, open, failed, suppressed } = event.data
  switch (type) {
    case "bounced": {
      const bounceKind = bounceKindOf(trimmed(bounce?.type))
      const reason = trimmed(bounce?.message)
      const enhancedStatus = enhancedStatusIn(reason)
      const errorCode = trimmed(bounce?.subType)
      return {
        type: bounceKind === "hard" ? "bounced" : "soft_bounced",
        details: {
          bounceKind,
          ...(reason === undefined ? {} : { reason }),
          ...(enhancedStatus === undefined ? {} : { enhancedStatus }),
          ...(errorCode === undefined ? {} : { errorCode })
        }
      }
    }
    case "opened":
    case "clicked": {
      const seen = type === "clicked" ? click : open
      const [ip, userAgent, url] = [trimmed(seen?.ipAddress), trimmed(seen?.userAgent), trimmed(click?.link)]
      return {
        type,
        details: {
          ...(ip === undefined ? {} : { ip }),
          ...(userAgent === undefined ? {} : { userAgent }),
          ...(type === "clicked" && url !== undefined ? { url } : {}),
          machine: isMachineUserAgent(userAgent)
        }
      }
    }
    case "failed": {
      const reason = trimmed(failed?.reason) ?? trimmed(suppressed?.message)
      const errorCode = trimmed(suppressed?.type)
      return { type, details: { ...(reason === undefined ? {} : { reason }), ...(errorCode === undefined ? {} : { errorCode }) } }
    }
    default:
      return { type, details: {} }
  }
}

/** One normalized event per recipient; with several, the recipient joins the message id in the dedupe key. */
export const normalize = Effect.fnUntraced(function* (json: unknown, messageKey: string, orgId: string) {
  const kind = yield* decodeFirst(Kind)(json)
  const mapped = tracked.get(kind.type)
  if (mapped === undefined) return []
  const event = yield* decodeFirst(EmailEvent)(json)
  const to = typeof event.data.to === "string" ? [event.data.to] : event.data.to
  const recipients = [...new Set(to.map((address) => normalizeAddress("email", address)).filter((address) => address !== ""))]
  if (recipients.length === 0) {
    return yield* new PayloadRejected({ path: "data.to", message: `data.to: expected at least one recipient address, got ${show(event.data.to)}` })
  }
  const { type, details } = classify(event, mapped)
  const { ids, category } = idsOf(tagsOf(event.data.tags))
  return recipients.map((recipient): NormalizedEvent => ({
    orgId,
    provider: "resend",
    providerEventId: recipients.length === 1 ? messageKey : `${messageKey}:${recipient}`,
    providerEventName: event.type,
    providerMessageId: event.data.email_id.trim(),
    recipient,
    channel: "email",
    type,
    occurredAt: event.created_at,
    ...ids,
    details: { ...details, ...category }
  }))
})
