import { Schema } from "effect"

// The parts of the API's answers the dashboard shows (docs/api.md), decoded before any view reads them.

const Nullable = <A, I>(schema: Schema.Schema<A, I>) => Schema.NullOr(schema)
const Page = <A, I>(item: Schema.Schema<A, I>) => Schema.Struct({ items: Schema.Array(item), nextCursor: Schema.optionalWith(Nullable(Schema.String), { default: () => null }) })

export const Counters = Schema.Struct({
  sent: Schema.Number, delivered: Schema.Number, opened: Schema.Number, openedTotal: Schema.Number, openedByHumans: Schema.Number,
  clicked: Schema.Number, clickedTotal: Schema.Number, clickedByHumans: Schema.Number, bounced: Schema.Number, softBounced: Schema.Number,
  complained: Schema.Number, unsubscribed: Schema.Number, failed: Schema.Number
})
export type Counters = typeof Counters.Type

export const Rates = Schema.Struct({
  deliveryRate: Schema.Number, openRate: Schema.Number, clickRate: Schema.Number, bounceRate: Schema.Number, complaintRate: Schema.Number
})
export type Rates = typeof Rates.Type

const Change = Schema.Struct({ absolute: Schema.Number, relative: Nullable(Schema.Number) })

export const Summary = Schema.Struct({
  startDate: Schema.String, endDate: Schema.String, counters: Counters, rates: Rates,
  previous: Schema.Struct({ startDate: Schema.String, endDate: Schema.String, counters: Counters, rates: Rates }),
  change: Schema.Record({ key: Schema.String, value: Nullable(Change) }),
  streams: Schema.Array(Schema.Struct({ category: Schema.String, counters: Counters, rates: Rates }))
})

const Alert = Schema.Struct({
  metric: Schema.String, value: Schema.Number, threshold: Nullable(Schema.Number), severity: Schema.Literal("critical", "warning"),
  message: Schema.String, senderAccountId: Schema.optional(Schema.String)
})
export type Alert = typeof Alert.Type

export const Health = Schema.Struct({
  status: Schema.Literal("ok", "warning", "critical"), sent: Schema.Number, rates: Rates, note: Schema.String,
  thresholds: Schema.Struct({ complaintRateCritical: Schema.Number, complaintRateWarning: Schema.Number, deliveryRateWarning: Schema.Number, senderBounceRate: Schema.Number }),
  alerts: Schema.Array(Alert),
  streams: Schema.Array(Schema.Struct({ category: Schema.String, status: Schema.String, alerts: Schema.Array(Alert) }))
})
export type Health = typeof Health.Type

export const StatsSeries = Schema.Struct({
  aggregatedBy: Schema.String, startDate: Schema.String, endDate: Schema.String,
  buckets: Schema.Array(Schema.Struct({ start: Schema.String, end: Schema.String, counters: Counters, rates: Rates }))
})

const BroadcastCounters = Schema.Struct({
  sent: Schema.Number, delivered: Schema.Number, opened: Schema.Number, opened_human: Schema.Number, clicked: Schema.Number,
  bounced: Schema.Number, complained: Schema.Number, unsubscribed: Schema.Number, failed: Schema.Number
})
export type BroadcastCounters = typeof BroadcastCounters.Type

const BroadcastFields = {
  id: Schema.String, name: Schema.String, category: Schema.String, channels: Schema.Array(Schema.String),
  retryOf: Nullable(Schema.String), createdAt: Schema.String, counters: Nullable(BroadcastCounters)
}
export const Broadcast = Schema.Struct(BroadcastFields)
export type Broadcast = typeof Broadcast.Type
export const BroadcastPage = Page(Broadcast)
export const BroadcastDetail = Schema.Struct({ ...BroadcastFields, recipientCount: Schema.Number, removedRecipientCount: Schema.Number })

/** Each event's details (reason, URL, user agent, …) beside its type and time, all shown as text. */
export const DeliveryEvent = Schema.Struct({ type: Schema.String, at: Schema.String }, Schema.Record({ key: Schema.String, value: Schema.Unknown }))

export const ReportRow = Schema.Struct({
  broadcastId: Nullable(Schema.String), recipient: Schema.String, channel: Schema.String, status: Schema.String, contactId: Nullable(Schema.String),
  providerMessageId: Nullable(Schema.String), events: Schema.Array(DeliveryEvent), errorReason: Schema.optional(Schema.String)
})
export type ReportRow = typeof ReportRow.Type
export const ReportPage = Page(ReportRow)
/** One provider message's delivery rows (`GET /broadcast/activity/{messageId}`). */
export const MessageDeliveries = Schema.Struct({ deliveries: Schema.Array(ReportRow) })

export const ActivityItem = Schema.Struct({
  broadcastId: Nullable(Schema.String), recipient: Schema.String, channel: Schema.String, providerMessageId: Nullable(Schema.String),
  type: Schema.String, provider: Schema.String, providerEventName: Nullable(Schema.String), at: Schema.String,
  details: Schema.Record({ key: Schema.String, value: Schema.Unknown })
})
export type ActivityItem = typeof ActivityItem.Type
export const ActivityPage = Page(ActivityItem)

export const Recipient = Schema.Struct({
  channel: Schema.String, address: Schema.String, status: Schema.String, removedAt: Nullable(Schema.String), removedReason: Nullable(Schema.String)
})
export const RecipientPage = Page(Recipient)

export const RetryListCreated = Schema.Struct({
  broadcast: Schema.Struct({ id: Schema.String, name: Schema.String }), included: Schema.Number,
  excluded: Schema.Struct({ suppressed: Schema.Number, optedOut: Schema.Number, bounced: Schema.Number, inactiveToken: Schema.Number })
})

const Activity = Schema.Struct({ kind: Schema.String, title: Schema.String, reason: Nullable(Schema.String), occurredAt: Schema.String })

const ContactFields = {
  id: Schema.String, email: Nullable(Schema.String), phone: Nullable(Schema.String), whatsapp: Nullable(Schema.String),
  bouncedChannels: Schema.Array(Schema.String), optedOut: Schema.Array(Schema.String),
  pushTokens: Schema.Array(Schema.Struct({ token: Schema.String, active: Schema.Boolean })),
  lastEngagedAt: Schema.Record({ key: Schema.String, value: Schema.String }), createdAt: Schema.String
}
export const ContactPage = Page(Schema.Struct(ContactFields))
export const Contact = Schema.Struct({ ...ContactFields, activities: Schema.Array(Activity) })
export type Contact = typeof Contact.Type

export const SuppressionCheck = Schema.Struct({
  suppressed: Schema.Array(Schema.Struct({ address: Schema.String, reason: Schema.String, category: Nullable(Schema.String), createdAt: Schema.String }))
})

export const AuditPage = Page(Schema.Struct({
  actor: Schema.String, action: Schema.String, subject: Schema.String, details: Schema.Unknown, createdAt: Schema.String
}))

export const SenderAccounts = Schema.Struct({
  items: Schema.Array(Schema.Struct({
    id: Schema.String, sent: Schema.Number, delivered: Schema.Number, bounced: Schema.Number, complained: Schema.Number,
    bounceRate: Schema.Number, complaintRate: Schema.Number, flaggedAt: Nullable(Schema.String), flaggedReason: Nullable(Schema.String)
  }))
})

export const AppliedEvent = Schema.Struct({
  recipient: Schema.String, channel: Schema.String, type: Schema.String, provider: Schema.String,
  occurredAt: Schema.String, broadcastId: Schema.optional(Nullable(Schema.String))
})

export const Inbox = Schema.Struct({ pending: Schema.Number, oldestPendingAgeSeconds: Nullable(Schema.Number) })

export const DeadLetters = Schema.Struct({
  items: Schema.Array(Schema.Struct({
    id: Schema.Number, orgId: Nullable(Schema.String), provider: Schema.String, stage: Schema.String, error: Schema.String,
    rawBody: Nullable(Schema.String), createdAt: Schema.String, replayedAt: Nullable(Schema.String)
  }))
})

export const Replayed = Schema.Struct({ id: Schema.Number, requeued: Schema.Unknown })

export const SuppressionLifted = Schema.Struct({ removed: Schema.Number })

export const NotificationEndpoints = Schema.Struct({
  items: Schema.Array(Schema.Struct({
    id: Schema.String, url: Schema.String, format: Schema.String, events: Schema.Array(Schema.String), enabled: Schema.Boolean,
    disabledReason: Nullable(Schema.String), failingSince: Nullable(Schema.String), consecutiveFailures: Schema.Number
  }))
})

export const NotificationAttempts = Schema.Struct({
  items: Schema.Array(Schema.Struct({
    messageId: Schema.String, type: Schema.String, attempt: Schema.Number, attemptedAt: Schema.String, outcome: Schema.String,
    statusCode: Nullable(Schema.Number), latencyMs: Schema.Number, error: Nullable(Schema.String), nextRetryAt: Nullable(Schema.String)
  })),
  nextCursor: Nullable(Schema.String)
})

export const EndpointChanged = Schema.Struct({ id: Schema.String, enabled: Schema.Boolean })
