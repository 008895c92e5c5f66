import { createHmac } from "node:crypto"
import { Config, DateTime, Duration, Effect, Either, Option, Redacted, Schema } from "effect"
import { NonBlank } from "./Fields.js"
import { decode } from "./MailgunEvents.js"
import type { Provider, WebhookRequest } from "./Webhook.js"
import { decodeFirst, parseJson, sameBytes, SignatureRejected } from "./Webhook.js"

/** Mailgun's JSON webhooks (`signature` + `event-data`); see PROVIDERS.md section 2. */
export const vendor = "mailgun"

export const envVar = "MAILGUN_WEBHOOK_SIGNING_KEY"

/** How far the signed timestamp may be from the time of receipt, either way; Mailgun leaves it to us. */
export const replayWindow = Duration.minutes(10)

export const Secrets = Schema.Struct({ signingKey: Schema.Redacted(NonBlank) })
export type Secrets = typeof Secrets.Type

export const envSecrets: Config.Config<Option.Option<Secrets>> = Config.redacted(envVar).pipe(
  Config.option,
  Config.map(Option.filter((key) => Redacted.value(key).trim() !== "")),
  Config.map(Option.map((signingKey) => ({ signingKey })))
)

/**
 * Tokens of accepted signatures, each kept as long as a replay of it could still pass the timestamp
 * check (twice the window after receipt, the timestamp being at most one window old then). This
 * default keeps them in memory (unit tests); the service uses `storage/SeenNonces.ts`, shared by
 * every instance and kept across restarts.
 */
export class MailgunTokens extends Effect.Service<MailgunTokens>()("Sendtrail/MailgunTokens", {
  sync: () => {
    const expiries = new Map<string, number>()
    const keep = 2 * Duration.toMillis(replayWindow)
    return {
      /** True the first time a token is seen; false while it is remembered (a replay). */
      remember: Effect.fn("MailgunTokens.remember")(function* (token: string, receivedAt: DateTime.Utc) {
        const now = DateTime.toEpochMillis(receivedAt)
        // Insertion order is (nearly) expiry order: stop at the first token still to be kept.
        for (const [seen, expiry] of expiries) {
          if (expiry > now) break
          expiries.delete(seen)
        }
        if (expiries.has(token)) return false
        expiries.set(token, now + keep)
        return true
      }),
      /** Lets a token be used again: its request was verified but its events were not stored. */
      forget: (token: string) => Effect.sync(() => void expiries.delete(token)),
      size: Effect.sync(() => expiries.size)
    }
  }
}) {}

const Signed = Schema.Struct({
  timestamp: Schema.Union(Schema.String, Schema.Number),
  token: Schema.String,
  signature: Schema.String
})
type Signed = typeof Signed.Type

const Envelope = Schema.Struct({ signature: Signed, "parent-signature": Schema.optional(Signed) })
const decodeEnvelope = decodeFirst(Envelope)

const reject = (check: string, message: string) => new SignatureRejected({ check, message })

const timestampOf = (value: string | number): Option.Option<string> =>
  typeof value === "string"
    ? /^\d{1,12}$/.test(value.trim()) ? Option.some(value.trim()) : Option.none()
    : Number.isSafeInteger(value) && value >= 0 ? Option.some(String(value)) : Option.none()

/** Checks one signature object; on success, its timestamp as signed (seconds) and its token. */
const checkSigned = (key: string, name: string, signed: Signed): Either.Either<{ timestamp: number; token: string }, SignatureRejected> => {
  const signature = signed.signature.trim()
  if (signature === "") return Either.left(reject("missing-signature", `${name}.signature is empty`))
  if (!/^[0-9a-f]{64}$/i.test(signature)) return Either.left(reject("malformed-signature", `${name}.signature is not 64 hex digits`))
  const timestamp = timestampOf(signed.timestamp)
  if (Option.isNone(timestamp)) return Either.left(reject("malformed-timestamp", `${name}.timestamp is not UNIX seconds`))
  if (signed.token === "") return Either.left(reject("malformed-signature", `${name}.token is empty`))
  const expected = createHmac("sha256", key).update(timestamp.value + signed.token).digest()
  return sameBytes(Buffer.from(signature, "hex"), expected)
    ? Either.right({ timestamp: Number(timestamp.value), token: signed.token })
    : Either.left(reject("signature-mismatch", `${name}.signature does not match its timestamp and token`))
}

/**
 * Checks the body's `signature` (hex HMAC-SHA256 of timestamp + token with the signing key; on a
 * subaccount, `parent-signature` made with the primary account's key is accepted too), that the
 * timestamp lies within `replayWindow` of receipt, and that the token was not accepted before: the
 * signature does not cover `event-data`, so a token may be honoured once only (Mailgun "Securing Webhooks").
 */
export const verify = Effect.fnUntraced(function* (secrets: Secrets | undefined, request: WebhookRequest) {
  const key = secrets === undefined ? "" : Redacted.value(secrets.signingKey)
  if (key.trim() === "") {
    return yield* reject(
      "missing-secret",
      `${envVar} is not set and the connection has no signingKey: Mailgun webhooks cannot be verified without the HTTP webhook signing key`
    )
  }
  const envelope = yield* parseJson(request.rawBody).pipe(
    Effect.flatMap(decodeEnvelope),
    Effect.mapError((error) => reject("missing-signature", `the body is not Mailgun's JSON webhook with a signature object: ${error.message}`))
  )
  const own = checkSigned(key, "signature", envelope.signature)
  const parent = envelope["parent-signature"]
  const accepted = yield* Either.isLeft(own) && own.left.check === "signature-mismatch" && parent !== undefined
    ? checkSigned(key, "parent-signature", parent)
    : own
  const skew = Math.abs(accepted.timestamp * 1000 - DateTime.toEpochMillis(request.receivedAt))
  if (skew > Duration.toMillis(replayWindow)) {
    return yield* reject(
      "timestamp-out-of-window",
      `signature.timestamp is ${Math.round(skew / 1000)} s away from now, more than ${Duration.format(replayWindow)}`
    )
  }
  if (accepted.token.length > 255) return yield* reject("malformed-token", "signature.token is longer than 255 characters")
  const tokens = yield* MailgunTokens
  if (!(yield* tokens.remember(accepted.token, request.receivedAt))) {
    return yield* reject("replayed-token", "signature.token was accepted before: a webhook is honoured once")
  }
})

export { decode }

/** A verified request whose events were not stored (undecodable, overloaded) may be retried with its token. */
const notStored = (request: WebhookRequest) =>
  parseJson(request.rawBody).pipe(
    Effect.flatMap(decodeEnvelope),
    Effect.flatMap((envelope) =>
      Effect.flatMap(MailgunTokens, (tokens) =>
        Effect.zipRight(tokens.forget(envelope.signature.token), envelope["parent-signature"] === undefined ? Effect.void : tokens.forget(envelope["parent-signature"].token)))),
    Effect.ignore
  )

export const provider: Provider<Secrets, MailgunTokens> = { vendor, verify, decode, notStored }
