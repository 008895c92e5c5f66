import { DateTime, Effect, Schema } from "effect"
import type { EventDetails, EventType, NormalizedEvent } from "../domain/Event.js"
import { normalizeAddress } from "../domain/Event.js"
import { isMachineUserAgent } from "../domain/Machine.js"
import { blank, correlationOf, enhancedStatusIn, EpochSeconds, isEnhancedStatus, NonBlank, optional } from "./Fields.js"
import type { WebhookRequest } from "./Webhook.js"
import { decodeFirst, parseJson, PayloadRejected, show } from "./Webhook.js"

/** SendGrid Event Webhook names we record; any other (group_resubscribe, newer ones) is skipped. */
export const trackedEvents = [
  "processed",
  "delivered",
  "open",
  "click",
  "bounce",
  "deferred",
  "dropped",
  "spamreport",
  "unsubscribe",
  "group_unsubscribe"
] as const
type Tracked = (typeof trackedEvents)[number]

const tracked: ReadonlySet<string> = new Set(trackedEvents)

interface MessageIds {
  readonly sg_message_id?: string | null | undefined
  readonly "smtp-id"?: string | null | undefined
}

/**
 * The id SendGrid's Mail Send API returns as `X-Message-Id`: the part of `sg_message_id` before the
 * first "."; an asynchronous bounce carries no `sg_message_id`, and the same id is then the local part
 * of `smtp-id` ("<id@host>"), of which `sg_message_id`'s first half is made (SendGrid event docs).
 */
const messageIdOf = (event: MessageIds): string | undefined => {
  if (!blank(event.sg_message_id)) return prefix(event.sg_message_id.trim())
  if (blank(event["smtp-id"])) return undefined
  const local = event["smtp-id"].trim().replace(/^<|>$/g, "").split("@")[0] ?? ""
  return local.trim() === "" ? undefined : prefix(local.trim())
}

const prefix = (id: string): string => id.split(".")[0] || id

/** Custom args are strings by SendGrid's rules; numbers from older SMTP API senders are kept as text. */
const CustomArg = optional(Schema.Union(Schema.String, Schema.Number))

const Event = Schema.Struct({
  event: Schema.Literal(...trackedEvents),
  email: NonBlank,
  timestamp: EpochSeconds,
  sg_event_id: NonBlank,
  sg_message_id: optional(Schema.String),
  "smtp-id": optional(Schema.String),
  type: optional(Schema.Literal("bounce", "blocked")),
  reason: optional(Schema.String),
  response: optional(Schema.String),
  status: optional(Schema.String),
  ip: optional(Schema.String),
  useragent: optional(Schema.String),
  url: optional(Schema.String),
  sg_machine_open: optional(Schema.Boolean),
  broadcastId: CustomArg,
  contactId: CustomArg,
  senderAccountId: CustomArg
}).pipe(
  Schema.filter((event) =>
    messageIdOf(event) !== undefined || {
      path: ["sg_message_id"],
      message: "expected sg_message_id (or smtp-id on an asynchronous bounce) to name the message"
    }
  )
)
type Event = typeof Event.Type

// Skipped events become null so that the paths of the remaining ones keep their index in the batch.
const Batch = Schema.Array(Schema.NullOr(Event))

const types: Record<Tracked, EventType> = {
  processed: "sent",
  delivered: "delivered",
  open: "opened",
  click: "clicked",
  bounce: "bounced",
  deferred: "deferred",
  dropped: "failed",
  spamreport: "complained",
  unsubscribe: "unsubscribed",
  group_unsubscribe: "unsubscribed"
}

// SendGrid event docs: type "bounce" is a permanent refusal of the address, "blocked" a temporary one.
const typeOf = (event: Event): EventType => event.event === "bounce" && event.type === "blocked" ? "soft_bounced" : types[event.event]

/** `status` when it is an RFC 3463 code; otherwise one quoted in the receiving server's text. */
const enhancedStatusOf = (event: Event, reason: string | undefined): string | undefined => {
  const status = event.status?.trim()
  return status !== undefined && isEnhancedStatus(status) ? status : enhancedStatusIn(reason)
}

const problems: ReadonlySet<EventType> = new Set(["bounced", "soft_bounced", "deferred", "failed"])
const engagements: ReadonlySet<EventType> = new Set(["opened", "clicked", "unsubscribed"])

const detailsOf = (event: Event, type: EventType): EventDetails => {
  const reason = [event.reason, event.response].find((text) => !blank(text))?.trim()
  const problem = problems.has(type)
  const enhancedStatus = problem ? enhancedStatusOf(event, reason) : undefined
  const engaged = engagements.has(type)
  const userAgent = engaged && !blank(event.useragent) ? event.useragent : undefined
  const ip = engaged && !blank(event.ip) ? event.ip.trim() : undefined
  const url = type === "clicked" && !blank(event.url) ? event.url.trim() : undefined
  return {
    ...(type === "bounced" ? { bounceKind: "hard" as const } : type === "soft_bounced" ? { bounceKind: "soft" as const } : {}),
    ...(problem && reason !== undefined ? { reason } : {}),
    ...(enhancedStatus === undefined ? {} : { enhancedStatus }),
    ...(ip === undefined ? {} : { ip }),
    ...(userAgent === undefined ? {} : { userAgent }),
    ...(url === undefined ? {} : { url }),
    ...(type === "opened" || type === "clicked" ? { machine: event.sg_machine_open === true || isMachineUserAgent(userAgent) } : {})
  }
}

const normalize = (orgId: string) => (event: Event): NormalizedEvent => {
  const type = typeOf(event)
  return {
    orgId,
    provider: "sendgrid",
    providerEventId: event.sg_event_id.trim(),
    providerEventName: event.event,
    providerMessageId: messageIdOf(event) ?? "",
    recipient: normalizeAddress("email", event.email),
    channel: "email",
    type,
    occurredAt: DateTime.unsafeMake(Math.floor(event.timestamp * 1000)),
    ...correlationOf((key) => {
      const value = event[key]
      return value == null ? undefined : String(value)
    }),
    details: detailsOf(event, type)
  }
}

const isSkipped = (element: unknown): boolean =>
  typeof element === "object" && element !== null && "event" in element && typeof element.event === "string" &&
  !tracked.has(element.event)

const decodeBatch = decodeFirst(Batch)

/** Decodes a SendGrid Event Webhook batch (a JSON array) into one normalized event per tracked event. */
export const decode = Effect.fnUntraced(function* (request: WebhookRequest, orgId: string) {
  const json = yield* parseJson(request.rawBody)
  if (!Array.isArray(json)) {
    return yield* new PayloadRejected({ path: "", message: `body: expected a JSON array of SendGrid events, got ${show(json)}` })
  }
  const events = yield* decodeBatch(json.map((element: unknown) => (isSkipped(element) ? null : element)))
  return events.filter((event) => event !== null).map(normalize(orgId))
})
