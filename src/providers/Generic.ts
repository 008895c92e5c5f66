import { createHmac } from "node:crypto"
import { DateTime, Effect, Option, ParseResult, Redacted, Schema } from "effect"
import type { EventDetails, NormalizedEvent } from "../domain/Event.js"
import { BounceKind, Category, Channel, EventType, normalizeAddress } from "../domain/Event.js"
import { parseJson, PayloadRejected, rejection, sameBytes, show, SignatureRejected } from "./Webhook.js"

/** Sendtrail's own signed webhook format; the contract is `docs/webhooks.md`. */
export const provider = "generic"

export const maxEvents = 10_000

export { PayloadRejected, SignatureRejected }

const expecting = <A, I>(schema: Schema.Schema<A, I>, expected: string): Schema.Schema<A, I> =>
  schema.annotations({ message: (issue) => ({ message: `expected ${expected}, got ${show(issue.actual)}`, override: true }) })

const mandatory = <A, I>(schema: Schema.Schema<A, I>, expected: string) =>
  Schema.propertySignature(schema).annotations({ missingMessage: () => `is missing: expected ${expected}` })

const required = <A, I>(schema: Schema.Schema<A, I>, expected: string) => mandatory(expecting(schema, expected), expected)

/** JSON senders often write null for "absent": both are accepted and mean the same. */
const optional = <A, I>(schema: Schema.Schema<A, I>, expected: string) => Schema.optional(Schema.NullOr(expecting(schema, expected)))

const oneOf = (literals: ReadonlyArray<string>) => `one of ${literals.join(", ")}`

const NonBlank = Schema.String.pipe(Schema.filter((text) => text.trim() !== ""))

const earliest = Date.UTC(2000, 0, 1)
const timestampExpected =
  `an ISO-8601 date-time with a zone such as "2026-01-01T12:00:00Z", or integer epoch milliseconds, not before 2000`
const isoDateTime = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(?:Z|([+-])(\d{2}):(\d{2}))$/i

/** Parses by hand: `Date.parse` rolls 2026-02-30 over to March and reads zone-less times as local. */
const parseIso = (text: string): number | undefined => {
  const match = isoDateTime.exec(text)
  if (match === null) return undefined
  const n = (i: number) => Number(match[i] ?? "0")
  const [year, month, day, hour, minute, second, offsetHours, offsetMinutes] = [n(1), n(2), n(3), n(4), n(5), n(6), n(9), n(10)]
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate()
  const valid = month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && hour <= 23 && minute <= 59 && second <= 59 &&
    offsetHours <= 23 && offsetMinutes <= 59
  if (!valid) return undefined
  const millis = Math.floor(Number(`0${match[7] ?? ""}`) * 1000)
  const offset = (match[8] === "-" ? -1 : 1) * (offsetHours * 60 + offsetMinutes)
  return Date.UTC(year, month - 1, day, hour, minute, second, millis) - offset * 60_000
}

const Timestamp = Schema.transformOrFail(Schema.Unknown, Schema.DateTimeUtcFromSelf, {
  strict: true,
  decode: (input, _, ast) => {
    const millis = typeof input === "string" ? parseIso(input) : Number.isSafeInteger(input) ? Number(input) : undefined
    const utc = millis === undefined || millis < earliest ? Option.none() : DateTime.make(millis)
    if (Option.isSome(utc)) return ParseResult.succeed(utc.value)
    const seconds = typeof input === "number" && input < earliest && input * 1000 >= earliest
    const hint = seconds ? " (this looks like epoch seconds: multiply by 1000)" : ""
    return ParseResult.fail(new ParseResult.Type(ast, input, `expected ${timestampExpected}, got ${show(input)}${hint}`))
  },
  encode: (utc) => ParseResult.succeed(DateTime.formatIso(utc))
})

const WireData = Schema.Struct({
  ip: optional(Schema.String, "a string"),
  userAgent: optional(Schema.String, "a string"),
  url: optional(Schema.String, "a string"),
  reason: optional(Schema.String, "a string"),
  errorCode: optional(Schema.Union(Schema.String, Schema.Number), "a string or a number"),
  bounceKind: optional(BounceKind, oneOf(BounceKind.literals)),
  machine: optional(Schema.Boolean, "true or false"),
  category: optional(Category, oneOf(Category.literals))
}).annotations({ message: (issue) => `expected an object, got ${show(issue.actual)}` })
type WireData = typeof WireData.Type

const WireEvent = Schema.Struct({
  id: required(NonBlank, "a non-empty string"),
  type: required(EventType, oneOf(EventType.literals)),
  timestamp: mandatory(Timestamp, timestampExpected),
  messageId: required(NonBlank, "a non-empty string"),
  recipient: required(NonBlank, "a non-empty string"),
  channel: optional(Channel, oneOf(Channel.literals)),
  broadcastId: optional(Schema.String, "a string"),
  contactId: optional(Schema.String, "a string"),
  senderAccountId: optional(Schema.String, "a string"),
  data: Schema.optional(Schema.NullOr(WireData))
}).annotations({ message: (issue) => `expected an event object, got ${show(issue.actual)}` })
type WireEvent = typeof WireEvent.Type

const decodeOne = Schema.decodeUnknown(WireEvent, { errors: "first" })
const decodeMany = Schema.decodeUnknown(Schema.Array(WireEvent), { errors: "first" })


const detailsOf = (type: EventType, data: WireData): EventDetails => {
  const bounceKind = type === "soft_bounced" ? "soft" : data.bounceKind
  return {
    ...(data.ip == null ? {} : { ip: data.ip }),
    ...(data.userAgent == null ? {} : { userAgent: data.userAgent }),
    ...(data.url == null ? {} : { url: data.url }),
    ...(bounceKind == null ? {} : { bounceKind }),
    ...(data.machine == null ? {} : { machine: data.machine }),
    ...(data.reason == null ? {} : { reason: data.reason }),
    ...(data.errorCode == null ? {} : { errorCode: String(data.errorCode) }),
    ...(data.category == null ? {} : { category: data.category })
  }
}

const normalize = (orgId: string) => (event: WireEvent): NormalizedEvent => {
  const channel = event.channel ?? "email"
  return {
    orgId,
    provider,
    providerEventId: event.id.trim(),
    providerEventName: event.type,
    providerMessageId: event.messageId.trim(),
    recipient: normalizeAddress(channel, event.recipient),
    channel,
    type: event.type,
    occurredAt: event.timestamp,
    ...(event.broadcastId == null ? {} : { broadcastId: event.broadcastId }),
    ...(event.contactId == null ? {} : { contactId: event.contactId }),
    ...(event.senderAccountId == null ? {} : { senderAccountId: event.senderAccountId }),
    details: detailsOf(event.type, event.data ?? {})
  }
}


/** Decodes one event object or an array of them into normalized events, naming the first field that failed. */
export const decode = Effect.fn("Generic.decode")(function* (rawBody: Uint8Array, orgId: string) {
  const json = yield* parseJson(rawBody)
  if (Array.isArray(json)) {
    if (json.length === 0) return yield* new PayloadRejected({ path: "", message: "no events: the body is an empty array" })
    if (json.length > maxEvents) {
      return yield* new PayloadRejected({ path: "", message: `too many events: ${json.length}, at most ${maxEvents} per request` })
    }
    const events = yield* decodeMany(json).pipe(Effect.mapError(rejection))
    return events.map(normalize(orgId))
  }
  if (typeof json !== "object" || json === null) {
    return yield* new PayloadRejected({
      path: "",
      message: `body: expected an event object or an array of event objects, got ${show(json)}`
    })
  }
  const event = yield* decodeOne(json).pipe(Effect.mapError(rejection))
  return [normalize(orgId)(event)]
})

const hmac = (secret: string, body: Uint8Array | string) => createHmac("sha256", secret).update(body).digest()

/** The lower-case hex HMAC-SHA256 of the body, as senders put it in `x-webhook-signature`. */
export const sign = (secret: string, rawBody: Uint8Array | string): string => hmac(secret, rawBody).toString("hex")

const signaturePattern = /^(?:sha256=)?([0-9a-f]{64})$/i

/** Checks `x-webhook-signature` against the raw body; hex of either case, with or without `sha256=`. */
export const verify = Effect.fn("Generic.verify")(function* (
  secret: Redacted.Redacted<string> | undefined,
  signatureHeader: string | undefined,
  rawBody: Uint8Array
) {
  const key = secret === undefined ? "" : Redacted.value(secret)
  if (key === "") {
    return yield* new SignatureRejected({
      check: "missing-secret",
      message: "GENERIC_WEBHOOK_SECRET is not set: generic webhooks cannot be verified"
    })
  }
  const header = signatureHeader?.trim() ?? ""
  if (header === "") {
    return yield* new SignatureRejected({ check: "missing-signature", message: "the x-webhook-signature header is missing" })
  }
  const hex = signaturePattern.exec(header)?.[1]
  if (hex === undefined) {
    return yield* new SignatureRejected({
      check: "malformed-signature",
      message: "the x-webhook-signature header is not 64 hex digits (optionally prefixed by sha256=)"
    })
  }
  if (!sameBytes(Buffer.from(hex, "hex"), hmac(key, rawBody))) {
    return yield* new SignatureRejected({ check: "signature-mismatch", message: "the x-webhook-signature header does not match the body" })
  }
})
