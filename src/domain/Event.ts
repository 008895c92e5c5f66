import { Schema } from "effect"

export const Channel = Schema.Literal("email", "sms", "whatsapp", "push")
export type Channel = typeof Channel.Type
export const channels: ReadonlyArray<Channel> = Channel.literals

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

export const Category = Schema.Literal("transactional", "marketing", "security")
export type Category = typeof Category.Type

export const EventDetails = Schema.Struct({
  ip: Schema.optional(Schema.String),
  userAgent: Schema.optional(Schema.String),
  url: Schema.optional(Schema.String),
  bounceKind: Schema.optional(BounceKind),
  machine: Schema.optional(Schema.Boolean),
  reason: Schema.optional(Schema.String),
  errorCode: Schema.optional(Schema.String),
  /** RFC 3463 enhanced status of a bounce ("5.1.1"); 5.7.x / 4.7.x are policy or reputation rejections. */
  enhancedStatus: Schema.optional(Schema.String),
  category: Schema.optional(Category)
})
export type EventDetails = typeof EventDetails.Type

export const NormalizedEvent = Schema.Struct({
  orgId: Schema.NonEmptyTrimmedString,
  provider: Schema.NonEmptyTrimmedString,
  providerEventId: Schema.NonEmptyTrimmedString,
  providerEventName: Schema.optional(Schema.String),
  providerMessageId: Schema.NonEmptyTrimmedString,
  recipient: Schema.NonEmptyTrimmedString,
  channel: Channel,
  type: EventType,
  occurredAt: Schema.DateTimeUtc,
  broadcastId: Schema.optional(Schema.String),
  contactId: Schema.optional(Schema.String),
  senderAccountId: Schema.optional(Schema.String),
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
