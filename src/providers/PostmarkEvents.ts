import { DateTime, Effect, Schema } from "effect"
import type { BounceKind, EventDetails, EventType, NormalizedEvent } from "../domain/Event.js"
import { normalizeAddress } from "../domain/Event.js"
import { isMachineUserAgent } from "../domain/Machine.js"
import { enhancedStatusIn, idsOf, Instant, mandatory, NonBlank, optional, tagsOf, Text, trimmed } from "./Fields.js"
import { decodeFirst, PayloadRejected } from "./Webhook.js"

type Outcome = { readonly type: EventType; readonly bounceKind?: BounceKind } | "skip"

const hard: Outcome = { type: "bounced", bounceKind: "hard" }
const soft: Outcome = { type: "soft_bounced", bounceKind: "soft" }
const failed: Outcome = { type: "failed" }

/**
 * Bounce `Type` / `TypeCode` (postmark.js models/bounces/Bounce.ts, postmarkapp.com/developer/api/bounce-api).
 * Only a permanent address failure is hard; blocks, policy and unknown codes never suppress the address;
 * replies that are not delivery outcomes (auto-responders, subscribe requests, inbound errors) are skipped.
 */
export const bounceTypes: ReadonlyArray<readonly [string, number, Outcome]> = [
  ["HardBounce", 1, hard],
  ["Transient", 2, soft],
  ["Unsubscribe", 16, { type: "unsubscribed" }],
  ["Subscribe", 32, "skip"],
  ["AutoResponder", 64, "skip"],
  ["AddressChange", 128, "skip"],
  ["DnsError", 256, soft],
  ["SpamNotification", 512, soft],
  ["OpenRelayTest", 1024, soft],
  ["Unknown", 2048, soft],
  ["SoftBounce", 4096, soft],
  ["VirusNotification", 8192, soft],
  ["ChallengeVerification", 16384, "skip"],
  ["BadEmailAddress", 100000, hard],
  ["SpamComplaint", 100001, { type: "complained" }],
  ["ManuallyDeactivated", 100002, failed],
  ["Unconfirmed", 100003, failed],
  ["Blocked", 100006, soft],
  ["SMTPApiError", 100007, failed],
  ["InboundError", 100008, "skip"],
  ["DMARCPolicy", 100009, soft],
  ["TemplateRenderingFailed", 100010, failed]
]

const byCode = new Map(bounceTypes.map(([name, code, outcome]) => [code, { name, outcome }]))
const byName = new Map(bounceTypes.map(([name, _, outcome]) => [name.toLowerCase(), { name, outcome }]))

const Geo = optional(Schema.Struct({ IP: Text }))

const common = {
  MessageID: NonBlank,
  Recipient: Text,
  Email: Text,
  Metadata: Schema.optional(Schema.Unknown),
  ID: optional(Schema.Union(Schema.Number, Schema.String))
}

const Common = Schema.Struct(common)
type Common = typeof Common.Type

const Delivery = Schema.Struct({ ...common, DeliveredAt: Instant })
const Bounce = Schema.Struct({
  ...common,
  BouncedAt: Instant,
  Type: Text,
  TypeCode: optional(Schema.Number),
  Description: Text,
  Details: Text
})
const Open = Schema.Struct({ ...common, ReceivedAt: Instant, UserAgent: Text, Geo })
const Click = Schema.Struct({ ...common, ReceivedAt: Instant, UserAgent: Text, Geo, OriginalLink: Text })
const SubscriptionChange = Schema.Struct({
  ...common,
  ChangedAt: Instant,
  SuppressSending: Schema.Boolean,
  SuppressionReason: Text,
  Origin: Text
})

const Kind = Schema.Struct({
  RecordType: mandatory(Schema.String, "is missing: every Postmark outbound webhook carries one (inbound messages are not tracked here)")
})

interface Classified {
  readonly record: Common
  readonly at: DateTime.Utc
  readonly type: EventType
  readonly details: EventDetails
}

const engagement = (type: "opened" | "clicked", userAgent: string | undefined, ip: string | undefined, url?: string): EventDetails => ({
  ...(ip === undefined ? {} : { ip }),
  ...(userAgent === undefined ? {} : { userAgent }),
  ...(url === undefined || type !== "clicked" ? {} : { url }),
  machine: isMachineUserAgent(userAgent)
})

const bounce = (record: typeof Bounce.Type, complaint: boolean): Classified | undefined => {
  const known = (record.TypeCode == null ? undefined : byCode.get(record.TypeCode)) ?? byName.get(trimmed(record.Type)?.toLowerCase() ?? "")
  const outcome = complaint ? { type: "complained" as const } : known?.outcome ?? soft
  if (outcome === "skip") return undefined
  const reason = trimmed(record.Details) ?? trimmed(record.Description)
  const enhancedStatus = enhancedStatusIn(trimmed(record.Details))
  const errorCode = known?.name ?? trimmed(record.Type) ?? (record.TypeCode == null ? undefined : String(record.TypeCode))
  return {
    record,
    at: record.BouncedAt,
    type: outcome.type,
    details: {
      ...(outcome.bounceKind === undefined ? {} : { bounceKind: outcome.bounceKind }),
      ...(reason === undefined ? {} : { reason }),
      ...(enhancedStatus === undefined ? {} : { enhancedStatus }),
      ...(errorCode === undefined ? {} : { errorCode })
    }
  }
}

/** Postmark `RecordType`s (postmarkapp.com/developer/webhooks/webhooks-overview); others are skipped. */
const classify = Effect.fnUntraced(function* (recordType: string, json: unknown) {
  switch (recordType) {
    case "Delivery": {
      const record = yield* decodeFirst(Delivery)(json)
      return { record, at: record.DeliveredAt, type: "delivered", details: {} } satisfies Classified
    }
    case "Bounce": {
      const record = yield* decodeFirst(Bounce)(json)
      if (record.TypeCode == null && trimmed(record.Type) === undefined) {
        return yield* new PayloadRejected({ path: "TypeCode", message: "TypeCode is missing, and so is Type: the bounce cannot be classified" })
      }
      return bounce(record, false)
    }
    case "SpamComplaint":
      return bounce(yield* decodeFirst(Bounce)(json), true)
    case "Open": {
      const record = yield* decodeFirst(Open)(json)
      const details = engagement("opened", trimmed(record.UserAgent), trimmed(record.Geo?.IP))
      return { record, at: record.ReceivedAt, type: "opened", details } satisfies Classified
    }
    case "Click": {
      const record = yield* decodeFirst(Click)(json)
      const details = engagement("clicked", trimmed(record.UserAgent), trimmed(record.Geo?.IP), trimmed(record.OriginalLink))
      return { record, at: record.ReceivedAt, type: "clicked", details } satisfies Classified
    }
    case "SubscriptionChange": {
      const record = yield* decodeFirst(SubscriptionChange)(json)
      // Suppressions for a hard bounce or a complaint arrive as their own Bounce / SpamComplaint records.
      const reason = trimmed(record.SuppressionReason)
      if (!record.SuppressSending || reason === "HardBounce" || reason === "SpamComplaint") return undefined
      const origin = trimmed(record.Origin)
      const details = { reason: [reason ?? "unsubscribed", origin === undefined ? "" : ` (origin: ${origin})`].join("") }
      return { record, at: record.ChangedAt, type: "unsubscribed", details } satisfies Classified
    }
    default:
      return undefined
  }
})

/** One record per request, at most one normalized event. */
export const normalize = Effect.fnUntraced(function* (json: unknown, orgId: string) {
  const { RecordType } = yield* decodeFirst(Kind)(json)
  const classified: Classified | undefined = yield* classify(RecordType, json)
  if (classified === undefined) return []
  const { record, at, type, details } = classified
  const address = trimmed(record.Recipient) ?? trimmed(record.Email)
  if (address === undefined) {
    return yield* new PayloadRejected({ path: "Recipient", message: "Recipient is missing (and so is Email): the event has no recipient" })
  }
  const recipient = normalizeAddress("email", address)
  const messageId = record.MessageID.trim()
  const id = typeof record.ID === "number" ? String(record.ID) : trimmed(record.ID)
  const { ids, category } = idsOf(tagsOf(record.Metadata))
  const event: NormalizedEvent = {
    orgId,
    provider: "postmark",
    providerEventId: id ?? `${messageId}:${RecordType}:${recipient}:${DateTime.formatIso(at)}`,
    providerEventName: RecordType,
    providerMessageId: messageId,
    recipient,
    channel: "email",
    type,
    occurredAt: at,
    ...ids,
    details: { ...details, ...category }
  }
  return [event]
})
