import type { KeyObject } from "node:crypto"
import { createPublicKey, verify as verifySignature } from "node:crypto"
import { Config, ConfigError, DateTime, Duration, Effect, Either, Option, Schema } from "effect"
import { decode } from "./SendGridEvents.js"
import type { Provider, WebhookRequest } from "./Webhook.js"
import { SignatureRejected } from "./Webhook.js"

/** Twilio SendGrid's signed Event Webhook; see PROVIDERS.md section 1. */
export const vendor = "sendgrid"

export const envVar = "SENDGRID_WEBHOOK_PUBLIC_KEY"

/**
 * SendGrid documents no freshness window for its signature timestamp, and retries a failed POST for
 * up to 72 hours; whether a retry is signed anew is not documented either. A tight window could refuse
 * a retry and lose its events, while a replayed signed body can only repeat events whose ids the inbox
 * already holds (a duplicate changes nothing). So a timestamp may be up to 73 hours old, and at most
 * `clockSkew` ahead.
 */
export const replayWindow = Duration.hours(73)
export const clockSkew = Duration.minutes(10)

export const signatureHeader = "x-twilio-email-event-webhook-signature"
export const timestampHeader = "x-twilio-email-event-webhook-timestamp"

/** The Verification Key as SendGrid shows it: base64 of a DER SubjectPublicKeyInfo of a P-256 key. */
const publicKeyOf = (text: string): Option.Option<KeyObject> =>
  Option.liftThrowable(() => createPublicKey({ key: Buffer.from(text.trim(), "base64"), format: "der", type: "spki" }))().pipe(
    Option.filter((key) => key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1")
  )

const keyExpected = "the Verification Key SendGrid shows: base64 of a P-256 public key, starting MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE"

const PublicKey = Schema.Trim.pipe(
  Schema.filter((text) => Option.isSome(publicKeyOf(text)), { message: () => `expected ${keyExpected}` })
)

export const Secrets = Schema.Struct({ publicKey: PublicKey })
export type Secrets = typeof Secrets.Type

/** The default org's key; unset or blank is none, and a key that does not parse stops start-up. */
export const envSecrets: Config.Config<Option.Option<Secrets>> = Config.string(envVar).pipe(
  Config.option,
  Config.map(Option.filter((text) => text.trim() !== "")),
  Config.mapOrFail((text) =>
    Option.match(text, {
      onNone: () => Either.right(Option.none()),
      onSome: (publicKey) =>
        Option.isSome(publicKeyOf(publicKey))
          ? Either.right(Option.some({ publicKey: publicKey.trim() }))
          : Either.left(ConfigError.InvalidData([], `Expected ${keyExpected}; got a value that is not one`))
    })
  )
)

const reject = (check: string, message: string) => new SignatureRejected({ check, message })

const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

const ecdsaMatches = (key: KeyObject, signed: Uint8Array, signature: Uint8Array): boolean =>
  Option.liftThrowable(() => verifySignature("sha256", signed, { key, dsaEncoding: "der" }, signature))().pipe(
    Option.getOrElse(() => false)
  )

/**
 * Checks the ECDSA P-256 / SHA-256 signature SendGrid puts in `X-Twilio-Email-Event-Webhook-Signature`
 * (base64 DER) over the `X-Twilio-Email-Event-Webhook-Timestamp` header followed by the raw body, and
 * that the timestamp lies from `replayWindow` before to `clockSkew` after the time the request was received.
 */
export const verify = Effect.fnUntraced(function* (secrets: Secrets | undefined, request: WebhookRequest) {
  if (secrets === undefined) {
    return yield* reject(
      "missing-secret",
      `${envVar} is not set and the connection has no publicKey: SendGrid webhooks cannot be verified without the Verification Key`
    )
  }
  const key = publicKeyOf(secrets.publicKey)
  if (Option.isNone(key)) {
    return yield* reject("invalid-public-key", `the SendGrid public key is not ${keyExpected}`)
  }
  const signature = request.headers[signatureHeader]?.trim() ?? ""
  if (signature === "") return yield* reject("missing-signature", `the ${signatureHeader} header is missing`)
  const timestamp = request.headers[timestampHeader]?.trim() ?? ""
  if (timestamp === "") return yield* reject("missing-timestamp", `the ${timestampHeader} header is missing`)
  if (!base64.test(signature)) {
    return yield* reject("malformed-signature", `the ${signatureHeader} header is not base64`)
  }
  if (!/^\d{1,12}$/.test(timestamp)) {
    return yield* reject("malformed-timestamp", `the ${timestampHeader} header is not UNIX seconds`)
  }
  const age = DateTime.toEpochMillis(request.receivedAt) - Number(timestamp) * 1000
  if (age > Duration.toMillis(replayWindow) || -age > Duration.toMillis(clockSkew)) {
    return yield* reject(
      "timestamp-out-of-window",
      `the ${timestampHeader} header is ${Math.round(Math.abs(age) / 1000)} s ${age > 0 ? "old" : "ahead"}: ` +
        `accepted are ${Duration.format(replayWindow)} old (SendGrid's retries) to ${Duration.format(clockSkew)} ahead`
    )
  }
  const signed = Buffer.concat([Buffer.from(timestamp, "utf8"), request.rawBody])
  if (!ecdsaMatches(key.value, signed, Buffer.from(signature, "base64"))) {
    return yield* reject("signature-mismatch", `the ${signatureHeader} header does not match the timestamp and body`)
  }
})

export { decode }

export const provider: Provider<Secrets> = { vendor, verify, decode }
