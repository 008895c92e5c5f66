import { DateTime, Effect, Schema } from "effect"
import type { EventDetails, EventType, NormalizedEvent } from "../domain/Event.js"
import { normalizeAddress } from "../domain/Event.js"
import { isMachineUserAgent } from "../domain/Machine.js"
import { correlationOf, EpochSeconds, isEnhancedStatus, NonBlank, optional, trimmed } from "./Fields.js"
import type { WebhookRequest } from "./Webhook.js"
import { decodeFirst, parseJson } from "./Webhook.js"

/** Mailgun event names we record; `stored`, the mailing-list events and any newer name are skipped. */
export const trackedEvents = ["accepted", "delivered", "opened", "clicked", "failed", "rejected", "complained", "unsubscribed"] as const
type Tracked = (typeof trackedEvents)[number]

const tracked: ReadonlySet<string> = new Set(trackedEvents)

const withoutBrackets = (id: string): string => id.trim().replace(/^<|>$/g, "").trim()

/** Mailgun's webhooks carry the Message-Id without angle brackets and its send API with them: both are accepted. */
const MessageId = Schema.String.pipe(
  Schema.filter((id) => withoutBrackets(id) !== "", { message: () => "expected the Message-Id of the message" })
)

const Head = Schema.Struct({ "event-data": Schema.Struct({ event: Schema.String }) })

const EventData = Schema.Struct({
  event: Schema.Literal(...trackedEvents),
  id: NonBlank,
  timestamp: EpochSeconds,
  recipient: NonBlank,
  message: Schema.Struct({ headers: Schema.Struct({ "message-id": MessageId }) }),
  severity: optional(Schema.String),
  reason: optional(Schema.String),
  "delivery-status": optional(Schema.Struct({
    code: optional(Schema.Union(Schema.Number, Schema.String)),
    message: optional(Schema.String),
    description: optional(Schema.String),
    "enhanced-code": optional(Schema.String),
    "bounce-code": optional(Schema.String)
  })),
  reject: optional(Schema.Struct({ reason: optional(Schema.String), description: optional(Schema.String) })),
  ip: optional(Schema.String),
  url: optional(Schema.String),
  "client-info": optional(Schema.Struct({ "user-agent": optional(Schema.String) })),
  "user-variables": optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
})
type EventData = typeof EventData.Type

const Body = Schema.Struct({ "event-data": EventData })

const types: Record<Tracked, EventType> = {
  accepted: "sent",
  delivered: "delivered",
  opened: "opened",
  clicked: "clicked",
  failed: "failed",
  rejected: "failed",
  complained: "complained",
  unsubscribed: "unsubscribed"
}

/** Mailgun's own suppression lists: the message was never attempted, so it is no new bounce. */
const suppressed: ReadonlySet<string> = new Set(["suppress-bounce", "suppress-unsubscribe", "suppress-complaint"])
const neverAttemptedCode = 605

/**
 * `failed` by severity (Mailgun webhooks docs: permanent_fail / temporary_fail). A permanent failure is
 * a hard bounce unless Mailgun refused to try (a suppressed address, code 605), gave up after retrying
 * (reason "old": no receiver ever refused the address), or was blocked by the receiving ESP ("espblock",
 * a verdict on the sender like SendGrid's "blocked"). Severities other than the two are Mailgun's own.
 */
const failedType = (data: EventData): EventType => {
  if (data.severity === "temporary") return "soft_bounced"
  if (data.severity !== "permanent") return "failed"
  const reason = data.reason ?? ""
  if (suppressed.has(reason) || reason === "old" || Number(data["delivery-status"]?.code) === neverAttemptedCode) return "failed"
  return reason === "espblock" ? "soft_bounced" : "bounced"
}

const typeOf = (data: EventData): EventType => (data.event === "failed" ? failedType(data) : types[data.event])

const firstOf = (...texts: ReadonlyArray<string | null | undefined>) => texts.map(trimmed).find((text) => text !== undefined)

const problems: ReadonlySet<EventType> = new Set(["bounced", "soft_bounced", "failed"])
const engagements: ReadonlySet<EventType> = new Set(["opened", "clicked", "unsubscribed"])

const detailsOf = (data: EventData, type: EventType): EventDetails => {
  const status = data["delivery-status"]
  const problem = problems.has(type)
  const reason = problem ? firstOf(status?.message, status?.description, data.reject?.reason, data.reject?.description, data.reason) : undefined
  const code = firstOf(status?.["enhanced-code"], status?.["bounce-code"])
  const enhancedStatus = problem && code !== undefined && isEnhancedStatus(code) ? code : undefined
  const engaged = engagements.has(type)
  const userAgent = engaged ? firstOf(data["client-info"]?.["user-agent"]) : undefined
  const ip = engaged ? firstOf(data.ip) : undefined
  const url = type === "clicked" ? firstOf(data.url) : undefined
  return {
    ...(type === "bounced" ? { bounceKind: "hard" as const } : type === "soft_bounced" ? { bounceKind: "soft" as const } : {}),
    ...(reason === undefined ? {} : { reason }),
    ...(enhancedStatus === undefined ? {} : { enhancedStatus }),
    ...(ip === undefined ? {} : { ip }),
    ...(userAgent === undefined ? {} : { userAgent }),
    ...(url === undefined ? {} : { url }),
    ...(type === "opened" || type === "clicked" ? { machine: isMachineUserAgent(userAgent) } : {})
  }
}

const variable = (variables: EventData["user-variables"], name: string): string | undefined => {
  const value = variables?.[name]
  return typeof value === "string" || typeof value === "number" ? String(value) : undefined
}

const normalize = (orgId: string, data: EventData): NormalizedEvent => {
  const type = typeOf(data)
  return {
    orgId,
    provider: "mailgun",
    // Mailgun: `id` is unique within a day; with the timestamp it is unique, and a retry repeats both.
    providerEventId: `${data.id.trim()}:${data.timestamp}`,
    providerEventName: data.event,
    providerMessageId: withoutBrackets(data.message.headers["message-id"]),
    recipient: normalizeAddress("email", data.recipient),
    channel: "email",
    type,
    occurredAt: DateTime.unsafeMake(Math.floor(data.timestamp * 1000)),
    ...correlationOf((key) => variable(data["user-variables"], key)),
    details: detailsOf(data, type)
  }
}

const decodeHead = decodeFirst(Head)
const decodeBody = decodeFirst(Body)

/** Decodes Mailgun's JSON webhook (one event in `event-data`): one normalized event, none when skipped. */
export const decode = Effect.fnUntraced(function* (request: WebhookRequest, orgId: string) {
  const json = yield* parseJson(request.rawBody)
  const head = yield* decodeHead(json)
  if (!tracked.has(head["event-data"].event)) return []
  const body = yield* decodeBody(json)
  return [normalize(orgId, body["event-data"])]
})
