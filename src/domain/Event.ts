import { DateTime, Duration, Either, ParseResult, Schema } from "effect"

export const Channel = Schema.Literal("email", "sms", "whatsapp", "push", "telegram", "in_app")
export type Channel = typeof Channel.Type
export const channels: ReadonlyArray<Channel> = Channel.literals

/** The channels whose address a contact holds itself (a push token is a device's): those a sunset can run on. */
export const AddressChannel = Schema.Literal("email", "sms", "whatsapp", "telegram", "in_app")
export type AddressChannel = typeof AddressChannel.Type

/** A channel's name in titles people read ("Email suppressed by …", "SMS opt-out reply"). */
export const channelLabel: Record<Channel, string> = { email: "Email", sms: "SMS", whatsapp: "WhatsApp", push: "Push", telegram: "Telegram", in_app: "In-app" }

/** The normalized vocabulary every provider event is mapped onto. */
export const EventType = Schema.Literal(
  "queued",
  "sending",
  "sent",
  "delivered",
  "opened",
  "clicked",
  "bounced",
  "soft_bounced",
  "deferred",
  "complained",
  "unsubscribed",
  "failed"
)
export type EventType = typeof EventType.Type

export const BounceKind = Schema.Literal("hard", "soft")
export type BounceKind = typeof BounceKind.Type

/** The streams the product documents; `transactional` is what is none of the others. */
export const namedCategories = ["transactional", "security", "billing", "product", "marketing"] as const
export const categoryRule = "a lowercase slug of 1 to 32 characters: a letter, then letters, digits, '_' or '-'"
export const categoryPattern = /^[a-z][a-z0-9_-]{0,31}$/

/**
 * A stream of mail: one of `namedCategories` or one an org names itself, any slug (docs/decisions.md,
 * "Categories are slugs"). `security` can never be unsubscribed from.
 */
export const Category = Schema.String.pipe(Schema.pattern(categoryPattern)).annotations({
  identifier: "Category",
  description: `${namedCategories.join(", ")}, or an org's own: ${categoryRule}`,
  message: (issue) => ({ message: `'${String(issue.actual)}' is not a category; expected ${categoryRule} (${namedCategories.join(", ")}, or an org's own)`, override: true })
})
export type Category = typeof Category.Type

/**
 * Bounds decided at the ack (docs/webhooks.md, "Limits"), in bytes of UTF-8: whatever is acknowledged
 * fits the indexes and columns it is applied to. The widest index (org, provider, message id,
 * recipient) stays under 1.3 KB, half of what a btree entry holds; an address fits RFC 5321.
 */
export const limits = { id: 255, address: 320, url: 8192, text: 4096, code: 64 } as const

/** At most `max` bytes of UTF-8 (a UTF-16 unit takes at most 3, so short strings are not encoded). */
export const maxBytes = (max: number) => <S extends Schema.Schema.Any>(self: S) =>
  self.pipe(Schema.filter((value: unknown) =>
    typeof value !== "string" || value.length * 3 <= max || new TextEncoder().encode(value).length <= max ||
    `Expected at most ${max} bytes of UTF-8, got ${new TextEncoder().encode(value).length}`))

const Id = Schema.NonEmptyTrimmedString.pipe(maxBytes(limits.id))
const OptionalId = Schema.optional(Schema.String.pipe(maxBytes(limits.id)))
const Text = Schema.String.pipe(maxBytes(limits.text))

export const EventDetails = Schema.Struct({
  ip: Schema.optional(Schema.String.pipe(maxBytes(limits.code))),
  userAgent: Schema.optional(Text),
  url: Schema.optional(Schema.String.pipe(maxBytes(limits.url))),
  bounceKind: Schema.optional(BounceKind),
  machine: Schema.optional(Schema.Boolean),
  reason: Schema.optional(Text),
  errorCode: Schema.optional(Schema.String.pipe(maxBytes(limits.code))),
  /** RFC 3463 enhanced status of a bounce ("5.1.1"); 5.7.x / 4.7.x are policy or reputation rejections. */
  enhancedStatus: Schema.optional(Schema.String.pipe(maxBytes(limits.code))),
  category: Schema.optional(Category)
})
export type EventDetails = typeof EventDetails.Type

export const NormalizedEvent = Schema.Struct({
  orgId: Id,
  provider: Id,
  providerEventId: Id,
  providerEventName: OptionalId,
  providerMessageId: Id,
  recipient: Schema.NonEmptyTrimmedString.pipe(maxBytes(limits.address)),
  channel: Channel,
  type: EventType,
  occurredAt: Schema.DateTimeUtc,
  broadcastId: OptionalId,
  contactId: OptionalId,
  senderAccountId: OptionalId,
  /** Set by tracking (pixel, click, unsubscribe): the delivery row is known, no lookup by message id. */
  deliveryId: Schema.optional(Schema.Number),
  details: EventDetails
})
export type NormalizedEvent = typeof NormalizedEvent.Type

/** The key a provider's retries share; the inbox and the event table are unique on it. */
export const eventKey = (event: Pick<NormalizedEvent, "provider" | "providerEventId">): string =>
  `${event.provider}:${event.providerEventId}`

/** Emails compare case-insensitively; phone numbers and push tokens exactly. */
export const normalizeAddress = (channel: Channel, address: string): string => {
  const trimmed = address.trim()
  return channel === "email" ? trimmed.toLowerCase() : trimmed
}

/** Events claim times from 2000 until a week ahead of their receipt (clocks drift; year 10000 is a bug). */
export const earliestOccurrence = DateTime.unsafeMake("2000-01-01T00:00:00Z")
export const latestOccurrenceAhead = Duration.days(7)

const validateEvent = Schema.validateEither(NormalizedEvent, { errors: "first" })

/**
 * What is wrong with an event a provider module built, before it is acknowledged: a field past its
 * bound (named by path, like `details.reason`), or a time outside the accepted window.
 */
export const eventProblem = (event: NormalizedEvent, receivedAt: DateTime.Utc): string | undefined => {
  const checked = validateEvent(event)
  if (Either.isLeft(checked)) {
    const issue = ParseResult.ArrayFormatter.formatErrorSync(checked.left)[0]
    return issue === undefined ? checked.left.message : `${issue.path.join(".")}: ${issue.message}`
  }
  const latest = DateTime.addDuration(receivedAt, latestOccurrenceAhead)
  if (DateTime.lessThan(event.occurredAt, earliestOccurrence) || DateTime.greaterThan(event.occurredAt, latest)) {
    return `occurredAt: ${DateTime.formatIso(event.occurredAt)} is outside 2000-01-01 to 7 days after receipt`
  }
  return undefined
}
