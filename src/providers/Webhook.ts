import { timingSafeEqual } from "node:crypto"
import type { DateTime } from "effect"
import { Effect, ParseResult, Schema } from "effect"
import type { NormalizedEvent } from "../domain/Event.js"

/** A webhook as received: the exact bytes, lower-case header names, and the public URL it was sent to. */
export interface WebhookRequest {
  readonly rawBody: Uint8Array
  readonly headers: Readonly<Record<string, string | undefined>>
  /** `PUBLIC_BASE_URL` + path + query, as the provider addressed (and, for Twilio, signed) it. */
  readonly url: string
  readonly receivedAt: DateTime.Utc
}

/**
 * The signature, credentials or secret did not check out: 401 (403 for wrong Basic credentials),
 * nothing stored; 503 when what verifies it (a provider's certificate) could not be fetched.
 */
export class SignatureRejected extends Schema.TaggedError<SignatureRejected>()("SignatureRejected", {
  check: Schema.String,
  message: Schema.String,
  status: Schema.optional(Schema.Literal(401, 403, 503))
}) {}

/** The body verified but does not decode: 400 naming the field; the raw body goes to dead letters. */
export class PayloadRejected extends Schema.TaggedError<PayloadRejected>()("PayloadRejected", {
  path: Schema.String,
  message: Schema.String
}) {}

/** A provider module: verification over the raw request, then decoding into normalized events. */
export interface Provider<Secrets, R = never> {
  readonly vendor: string
  readonly verify: (secrets: Secrets | undefined, request: WebhookRequest) => Effect.Effect<void, SignatureRejected, R>
  readonly decode: (request: WebhookRequest, orgId: string) => Effect.Effect<ReadonlyArray<NormalizedEvent>, PayloadRejected>
  /** Runs after verification, for control messages that carry no events (SNS subscription confirmations). */
  readonly control?: (request: WebhookRequest) => Effect.Effect<void, SignatureRejected, R>
  /** Runs when a verified request's events were not stored, so the provider's retry is not taken for a replay. */
  readonly notStored?: (request: WebhookRequest) => Effect.Effect<void, never, R>
}

export const show = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}

export const pathOf = (path: ReadonlyArray<PropertyKey>): string =>
  path.map((key, i) => typeof key === "number" ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`).join("")

/** The first failure of a decode, as a PayloadRejected naming its path ("[2].type", "mail.messageId"). */
export const rejection = (error: ParseResult.ParseError): PayloadRejected => {
  const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
  if (issue === undefined) return new PayloadRejected({ path: "", message: error.message })
  const path = pathOf(issue.path)
  const label = path === "" ? "body" : path
  return new PayloadRejected({ path, message: issue._tag === "Missing" ? `${label} ${issue.message}` : `${label}: ${issue.message}` })
}

/** Decodes with a Schema, stopping at the first failure and naming where it was. */
export const decodeFirst = <A, I>(schema: Schema.Schema<A, I>) => {
  const decode = Schema.decodeUnknown(schema, { errors: "first" })
  return (input: unknown): Effect.Effect<A, PayloadRejected> => Effect.mapError(decode(input), rejection)
}

const utf8 = new TextDecoder("utf-8", { fatal: true })

/** UTF-8 JSON, parsed. The Receiver has checked its nesting and text before any provider sees it. */
export const parseJson = (rawBody: Uint8Array) =>
  Effect.try({
    try: (): unknown => JSON.parse(utf8.decode(rawBody)),
    catch: (error) =>
      new PayloadRejected({ path: "", message: `the body is not JSON: ${error instanceof Error ? error.message : String(error)}` })
  })

/** Constant-time equality of two byte strings; different lengths are simply unequal. */
export const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && timingSafeEqual(a, b)
