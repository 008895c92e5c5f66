import { Schema } from "effect"
import { Channel, EventDetails, EventType } from "./Event.js"

/**
 * Milestones in precedence order: a delivery's status is the highest one any of its events reached.
 * The negative outcomes rank above every positive one, so a late "opened" never hides a complaint.
 */
export const statusPrecedence = [
  "queued",
  "sent",
  "delivered",
  "opened",
  "clicked",
  "failed",
  "bounced",
  "unsubscribed",
  "complained"
] as const

export const DeliveryStatus = Schema.Literal(...statusPrecedence)
export type DeliveryStatus = typeof DeliveryStatus.Type

export const statusRank = (status: DeliveryStatus): number => statusPrecedence.indexOf(status)

export const negativeStatuses: ReadonlySet<DeliveryStatus> = new Set(["failed", "bounced", "unsubscribed", "complained"])

/**
 * The `sent` entry a registration records for a row it creates as sent (`sendtrail`,
 * `registration:<delivery id>`): a stand-in that a provider's own `sent` event replaces, so the
 * chronology holds one `sent` whichever arrived first.
 */
export const registrationSent = { provider: "sendtrail", name: "registered", idPrefix: "registration:" } as const

export const Cost = Schema.Struct({ value: Schema.Number, unit: Schema.String })
export type Cost = typeof Cost.Type

export const Milestones = Schema.partial(
  Schema.Record({ key: DeliveryStatus, value: Schema.DateTimeUtc })
)
export type Milestones = typeof Milestones.Type

export const Delivery = Schema.Struct({
  id: Schema.Number,
  orgId: Schema.String,
  broadcastId: Schema.NullOr(Schema.String),
  contactId: Schema.NullOr(Schema.String),
  recipient: Schema.String,
  channel: Channel,
  status: DeliveryStatus,
  provider: Schema.String,
  providerMessageId: Schema.NullOr(Schema.String),
  senderAccountId: Schema.NullOr(Schema.String),
  errorReason: Schema.NullOr(Schema.String),
  cost: Schema.NullOr(Cost),
  milestones: Milestones,
  /** The event that decided `status` (earliest of those at the top rank): ties are broken by it. */
  decidedAt: Schema.NullOr(Schema.DateTimeUtc),
  decidedBy: Schema.NullOr(Schema.String),
  createdAt: Schema.DateTimeUtc,
  updatedAt: Schema.DateTimeUtc
})
export type Delivery = typeof Delivery.Type

export const DeliveryEvent = Schema.Struct({
  id: Schema.Number,
  deliveryId: Schema.Number,
  orgId: Schema.String,
  type: EventType,
  occurredAt: Schema.DateTimeUtc,
  receivedAt: Schema.DateTimeUtc,
  provider: Schema.String,
  providerEventName: Schema.NullOr(Schema.String),
  providerEventId: Schema.String,
  details: EventDetails
})
export type DeliveryEvent = typeof DeliveryEvent.Type
