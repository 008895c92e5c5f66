import { DateTime, Effect, ParseResult, Schema } from "effect"
import type { BounceKind, EventDetails, EventType, NormalizedEvent } from "../domain/Event.js"
import { Category, normalizeAddress } from "../domain/Event.js"
import { isMachineUserAgent } from "../domain/Machine.js"
import { decodeFirst, PayloadRejected, show } from "./Webhook.js"

const isoInstant = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)$/i

/** Parses by hand: `Date.parse` rolls impossible dates over and reads zone-less times as local. */
export const parseInstant = (text: string): DateTime.Utc | undefined => {
  const match = isoInstant.exec(text.trim())
  if (match === null) return undefined
  const n = (i: number) => Number(match[i] ?? "0")
  const [year, month, day, hour, minute, second] = [n(1), n(2), n(3), n(4), n(5), n(6)]
  const zone = (match[8] ?? "Z").toUpperCase()
  const digits = zone.slice(1).replace(":", "")
  const [offsetHours, offsetMinutes] = [Number(digits.slice(0, 2) || "0"), Number(digits.slice(2) || "0")]
  const offset = (zone.startsWith("-") ? -1 : 1) * (offsetHours * 60 + offsetMinutes)
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate()
  const valid = month >= 1 && month <= 12 && day >= 1 && day <= days && hour <= 23 && minute <= 59 && second <= 59 &&
    offsetHours <= 23 && offsetMinutes <= 59
  if (!valid) return undefined
  const millis = Math.floor(Number(`0${match[7] ?? ""}`) * 1000)
  return DateTime.unsafeMake(Date.UTC(year, month - 1, day, hour, minute, second, millis) - offset * 60_000)
}

export const Instant = Schema.transformOrFail(Schema.String, Schema.DateTimeUtcFromSelf, {
  strict: true,
  decode: (text, _, ast) => {
    const utc = parseInstant(text)
    return utc === undefined
      ? ParseResult.fail(new ParseResult.Type(ast, text, `expected an ISO-8601 date-time with a zone, got ${show(text)}`))
      : ParseResult.succeed(utc)
  },
  encode: (utc) => ParseResult.succeed(DateTime.formatIso(utc))
})

/** The RFC 3463 enhanced status inside an SMTP reply ("550 5.1.1 …"), not a piece of an IP address. */
export const enhancedStatusIn = (text: string | undefined): string | undefined =>
  text === undefined ? undefined : /(?<![\d.])([245]\.\d{1,3}\.\d{1,3})(?!\.?\d)/.exec(text)?.[1]

/** Tags as Resend sends them (a map) or as the send API takes them (`[{ name, value }]`); non-strings are ignored. */
export const tagsOf = (tags: unknown): ReadonlyMap<string, string> => {
  const pairs: Array<[string, unknown]> = Array.isArray(tags)
    ? tags.flatMap((tag): Array<[string, unknown]> =>
      typeof tag === "object" && tag !== null && "name" in tag && typeof tag.name === "string" ? [[tag.name, "value" in tag ? tag.value : undefined]] : []
    )
    : typeof tags === "object" && tags !== null ? Object.entries(tags) : []
  return new Map(pairs.flatMap(([name, value]): Array<[string, string]> => typeof value === "string" && value !== "" ? [[name, value]] : []))
}

const isCategory = Schema.is(Category)

/** broadcastId / contactId / senderAccountId, and a `category` Sendtrail knows, from tags or metadata. */
export const idsOf = (tags: ReadonlyMap<string, string>) => {
  const [broadcastId, contactId, senderAccountId, category] = ["broadcastId", "contactId", "senderAccountId", "category"].map((name) => tags.get(name))
  return {
    ids: {
      ...(broadcastId === undefined ? {} : { broadcastId }),
      ...(contactId === undefined ? {} : { contactId }),
      ...(senderAccountId === undefined ? {} : { senderAccountId })
    },
    category: isCategory(category) ? { category } : {}
  }
}

const Text = Schema.optional(Schema.NullOr(Schema.String))
const Recipients = Schema.Union(Schema.String, Schema.Array(Schema.String))

const EmailEvent = Schema.Struct({
  type: Schema.String,
  created_at: Instant,
  data: Schema.Struct({
    email_id: Schema.String.pipe(Schema.filter((id) => id.trim() !== "", { message: () => "expected a non-empty email id" })),
    to: Recipients,
    tags: Schema.optional(Schema.Unknown),
    bounce: Schema.optional(Schema.NullOr(Schema.Struct({ type: Text, subType: Text, message: Text }))),
    click: Schema.optional(Schema.NullOr(Schema.Struct({ link: Text, ipAddress: Text, userAgent: Text }))),
    open: Schema.optional(Schema.NullOr(Schema.Struct({ ipAddress: Text, userAgent: Text }))),
    failed: Schema.optional(Schema.NullOr(Schema.Struct({ reason: Text }))),
    suppressed: Schema.optional(Schema.NullOr(Schema.Struct({ type: Text, message: Text })))
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

const text = (value: string | null | undefined): string | undefined => value == null || value.trim() === "" ? undefined : value.trim()

/** Resend documents email.bounced as permanent; its `bounce.type` (SES vocabulary) makes Transient/Undetermined soft. */
const bounceKindOf = (type: string | undefined): BounceKind => type === undefined || type.toLowerCase() === "permanent" ? "hard" : "soft"

const classify = (event: EmailEvent, type: EventType): { type: EventType; details: EventDetails } => {
  const { bounce, click, open, failed, suppressed } = event.data
  switch (type) {
    case "bounced": {
      const bounceKind = bounceKindOf(text(bounce?.type))
      const reason = text(bounce?.message)
      const enhancedStatus = enhancedStatusIn(reason)
      const errorCode = text(bounce?.subType)
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
      const [ip, userAgent, url] = [text(seen?.ipAddress), text(seen?.userAgent), text(click?.link)]
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
      const reason = text(failed?.reason) ?? text(suppressed?.message)
      const errorCode = text(suppressed?.type)
      return { type, details: { ...(reason === undefined ? {} : { reason }), ...(errorCode === undefined ? {} : { errorCode }) } }
    }
    default:
      return { type, details: {} }
  }
}

/** One normalized event per recipient; with several, the recipient joins the message id in the dedupe key. */
export const normalize = Effect.fn("Resend.normalize")(function* (json: unknown, messageKey: string, orgId: string) {
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
