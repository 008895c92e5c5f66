import { Schema } from "effect"
import { Category, Channel } from "./Event.js"

export const SuppressionReason = Schema.Literal("unsubscribe", "bounce", "complaint", "invalid", "admin", "sunset")
export type SuppressionReason = typeof SuppressionReason.Type

export const Suppression = Schema.Struct({
  orgId: Schema.String,
  channel: Channel,
  address: Schema.String,
  /** A category-scoped suppression (an unsubscribe from marketing mail only), or null for the whole channel. */
  category: Schema.NullOr(Category),
  reason: SuppressionReason,
  source: Schema.String,
  metadata: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  createdAt: Schema.DateTimeUtc
})
export type Suppression = typeof Suppression.Type

/** Whether a suppression stops mail of `category`: security mail ignores unsubscribes and category scopes. */
export const suppressionApplies = (
  suppression: Pick<Suppression, "category" | "reason">,
  category: Category | undefined
): boolean =>
  category === "security"
    ? suppression.category === null && suppression.reason !== "unsubscribe"
    : suppression.category === null || suppression.category === category

export const PushToken = Schema.Struct({
  token: Schema.String,
  provider: Schema.String,
  active: Schema.Boolean
})
export type PushToken = typeof PushToken.Type

const engagedAt = Schema.optionalWith(Schema.DateTimeUtc, { exact: true })

/** Per channel, the time of the contact's last open or click not flagged as a machine's; a channel never engaged on is absent. */
export const LastEngaged = Schema.Struct({ email: engagedAt, sms: engagedAt, whatsapp: engagedAt, push: engagedAt, telegram: engagedAt, in_app: engagedAt })
export type LastEngaged = typeof LastEngaged.Type

export const Contact = Schema.Struct({
  id: Schema.String,
  orgId: Schema.String,
  email: Schema.NullOr(Schema.String),
  phone: Schema.NullOr(Schema.String),
  whatsapp: Schema.NullOr(Schema.String),
  /** The Telegram chat id of a recipient who wrote to one of the org's bots. */
  telegram: Schema.NullOr(Schema.String),
  /** The sender's own user id in its app, for in-app messages. */
  inApp: Schema.NullOr(Schema.String),
  bouncedChannels: Schema.Array(Channel),
  /** Entries are a channel ("email") or a channel and category ("email:marketing"). */
  optedOut: Schema.Array(Schema.String),
  pushTokens: Schema.Array(PushToken),
  createdAt: Schema.DateTimeUtc,
  updatedAt: Schema.DateTimeUtc
})
export type Contact = typeof Contact.Type

export const optOutEntry = (channel: Channel, category: Category | undefined): string =>
  category === undefined ? channel : `${channel}:${category}`

export const Activity = Schema.Struct({
  id: Schema.Number,
  orgId: Schema.String,
  contactId: Schema.NullOr(Schema.String),
  deliveryId: Schema.NullOr(Schema.Number),
  kind: Schema.String,
  title: Schema.String,
  reason: Schema.NullOr(Schema.String),
  occurredAt: Schema.DateTimeUtc
})
export type Activity = typeof Activity.Type

export const AuditEntry = Schema.Struct({
  id: Schema.Number,
  orgId: Schema.String,
  actor: Schema.String,
  action: Schema.String,
  subject: Schema.String,
  details: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  sourceKey: Schema.NullOr(Schema.String),
  createdAt: Schema.DateTimeUtc
})
export type AuditEntry = typeof AuditEntry.Type

export const SenderMetric = Schema.Literal("sent", "delivered", "bounced", "complained")
export type SenderMetric = typeof SenderMetric.Type

export const SenderAccount = Schema.Struct({
  id: Schema.String,
  orgId: Schema.String,
  sent: Schema.Number,
  delivered: Schema.Number,
  bounced: Schema.Number,
  complained: Schema.Number,
  bounceRate: Schema.Number,
  complaintRate: Schema.Number,
  flaggedAt: Schema.NullOr(Schema.DateTimeUtc),
  flaggedReason: Schema.NullOr(Schema.String),
  updatedAt: Schema.DateTimeUtc
})
export type SenderAccount = typeof SenderAccount.Type

export const Broadcast = Schema.Struct({
  id: Schema.String,
  orgId: Schema.String,
  name: Schema.String,
  category: Category,
  channels: Schema.Array(Channel),
  createdAt: Schema.DateTimeUtc
})
export type Broadcast = typeof Broadcast.Type

/** One address on a broadcast's list, per channel; one taken off it (unsubscribed) stays, with why and when. */
export const BroadcastRecipient = Schema.Struct({
  broadcastId: Schema.String,
  channel: Channel,
  address: Schema.String,
  contactId: Schema.NullOr(Schema.String),
  removedAt: Schema.NullOr(Schema.DateTimeUtc),
  removedReason: Schema.NullOr(Schema.String)
})
export type BroadcastRecipient = typeof BroadcastRecipient.Type

/** An organisation's account at a provider: which org its webhooks belong to and the secrets that verify them. */
export const Connection = Schema.Struct({
  id: Schema.String,
  orgId: Schema.String,
  vendor: Schema.String,
  secrets: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  createdAt: Schema.DateTimeUtc
})
export type Connection = typeof Connection.Type
