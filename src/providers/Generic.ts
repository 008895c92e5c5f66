import { createHmac } from "node:crypto"
import { DateTime, Effect, Option, ParseResult, Redacted, Schema } from "effect"
import type { EventDetails, NormalizedEvent } from "../domain/Event.js"
import { BounceKind, Category, categoryRule, Channel, EventType, normalizeAddress } from "../domain/Event.js"
import * as Fields from "./Fields.js"
import { correlationOf, expecting, mandatory, NonBlank, oneOf, parseInstant } from "./Fields.js"
import { parseJson, PayloadRejected, rejection, sameBytes, show, SignatureRejected } from "./Webhook.js"

/** Sendtrail's own signed webhook format; the contract is `docs/webhooks.md`. */
export const provider = "generic"

export const maxEvents = 10_000

export { PayloadRejected, SignatureRejected }

const required = <A, I>(schema: Schema.Schema<A, I>, expected: string) =>
  mandatory(expecting(schema, expected), `is missing: expected ${expected}`)

const optional = <A, I>(schema: Schema.Schema<A, I>, expected: string) => Fields.optional(expecting(schema, expected))

const earliest = Date.UTC(2000, 0, 1)
const timestampExpected =
  `an ISO-8601 date-time with a zone such as "2026-01-01T12:00:00Z", or integer epoch milliseconds, not before 2000`

const millisOf = (input: unknown): number | undefined => {
  if (typeof input !== "string") return Number.isSafeInteger(input) ? Number(input) : undefined
  const utc = parseInstant(input)
  return utc === undefined ? undefined : DateTime.toEpochMillis(utc)
}

const Timestamp = Schema.transformOrFail(Schema.Unknown.annotations({
  jsonSchema: { anyOf: [{ type: "string", format: "date-time" }, { type: "integer", minimum: earliest }], description: timestampExpected }
}), Schema.DateTimeUtcFromSelf, {
  strict: true,
  decode: (input, _, ast) => {
    const millis = millisOf(input)
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
  category: optional(Category, categoryRule)
}).annotations({ message: (issue) => `expected an object, got ${show(issue.actual)}` })
type WireData = typeof WireData.Type

const WireEvent = Schema.Struct({
  id: required(NonBlank, "a non-empty string"),
  type: required(EventType, oneOf(EventType.literals)),
  timestamp: mandatory(Timestamp, `is missing: expected ${timestampExpected}`),
  messageId: required(NonBlank, "a non-empty string"),
  recipient: required(NonBlank, "a non-empty string"),
  channel: optional(Channel, oneOf(Channel.literals)),
  broadcastId: optional(Schema.String, "a string"),
  contactId: optional(Schema.String, "a string"),
  senderAccountId: optional(Schema.String, "a string"),
  data: Schema.optional(Schema.NullOr(WireData))
}).annotations({ message: (issue) => `expected an event object, got ${show(issue.actual)}` })
type WireEvent = typeof WireEvent.Type

/** The body: one event or an array of them (docs/webhooks.md); the OpenAPI description shows it. */
export const Body = Schema.Union(WireEvent, Schema.Array(WireEvent))

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
    ...correlationOf((key) => event[key]),
    details: detailsOf(event.type, event.data ?? {})
  }
}


/** Decodes one event object or an array of them into normalized events, naming the first field that failed. */
export const decode = Effect.fnUntraced(function* (rawBody: Uint8Array, orgId: string) {
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
export const verify = Effect.fnUntraced(function* (
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
