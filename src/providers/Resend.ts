import { createHmac } from "node:crypto"
import { Config, ConfigError, DateTime, Effect, Either, Option, Redacted, Schema } from "effect"
import { normalize } from "./ResendEvents.js"
import type { Provider, WebhookRequest } from "./Webhook.js"
import { parseJson, PayloadRejected, sameBytes, SignatureRejected } from "./Webhook.js"

/** Resend webhooks, delivered and signed by Svix (Standard Webhooks "v1"). */
export const vendor = "resend"

export { PayloadRejected, SignatureRejected }

const base64 = /^[A-Za-z0-9+/]+={0,2}$/

/** The HMAC key is the base64 after `whsec_`, not the ASCII secret (docs.svix.com "Verifying payloads manually"). */
export const signingKey = (secret: string): Buffer | undefined => {
  const encoded = secret.trim().replace(/^whsec_/, "")
  if (!base64.test(encoded)) return undefined
  const key = Buffer.from(encoded, "base64")
  return key.length === 0 ? undefined : key
}

const secretExpected = "a Resend signing secret: whsec_ followed by base64, as shown on the webhook's page"

const SigningSecret = Schema.String.pipe(
  Schema.filter((secret) => signingKey(secret) !== undefined, { message: () => `expected ${secretExpected}` })
)

/** A connection's secrets: `{ "secret": "whsec_…" }`. */
export const Secrets = Schema.Struct({ secret: Schema.Redacted(SigningSecret) })
export type Secrets = typeof Secrets.Type

/** The default org's secret from `RESEND_WEBHOOK_SECRET`; none when unset or blank. */
export const envSecrets: Config.Config<Option.Option<Secrets>> = Config.string("RESEND_WEBHOOK_SECRET").pipe(
  Config.option,
  Config.mapOrFail((value) => {
    const secret = Option.filter(Option.map(value, (text) => text.trim()), (text) => text !== "")
    if (Option.isNone(secret)) return Either.right(Option.none())
    return signingKey(secret.value) === undefined
      ? Either.left(ConfigError.InvalidData(["RESEND_WEBHOOK_SECRET"], `Expected ${secretExpected}, got a value of another form (not shown)`))
      : Either.right(Option.some({ secret: Redacted.make(secret.value) }))
  })
)

const signature = (key: Uint8Array, id: string, timestamp: string, rawBody: Uint8Array): string =>
  createHmac("sha256", key).update(`${id}.${timestamp}.`, "utf8").update(rawBody).digest("base64")

/** The `svix-signature` entry Svix would send: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`. */
export const sign = (secret: string, id: string, timestamp: number | string, rawBody: Uint8Array | string): string => {
  const body = typeof rawBody === "string" ? new TextEncoder().encode(rawBody) : rawBody
  return `v1,${signature(signingKey(secret) ?? new Uint8Array(), id, String(timestamp), body)}`
}

/** Svix's and Standard Webhooks' tolerance, both directions. */
export const toleranceSeconds = 5 * 60

/** The branded `svix-*` header, else the Standard Webhooks `webhook-*` one. */
export const headerOf = (request: WebhookRequest, name: "id" | "timestamp" | "signature"): string | undefined =>
  [request.headers[`svix-${name}`], request.headers[`webhook-${name}`]].map((value) => value?.trim() ?? "").find((value) => value !== "")

const reject = (check: string, message: string) => new SignatureRejected({ check, message })

/** Accepts when any `v1` entry of the signature header matches and the timestamp is within five minutes of receipt. */
export const verify = Effect.fnUntraced(function* (secrets: Secrets | undefined, request: WebhookRequest) {
  if (secrets === undefined) {
    return yield* reject(
      "missing-secret",
      "RESEND_WEBHOOK_SECRET is not set and the connection carries no secret: a Resend connection must carry { secret: \"whsec_…\" }"
    )
  }
  const key = signingKey(Redacted.value(secrets.secret))
  if (key === undefined) return yield* reject("malformed-secret", `the configured Resend secret is not ${secretExpected}`)
  const id = headerOf(request, "id")
  if (id === undefined) return yield* reject("missing-message-id", "the svix-id (or webhook-id) header is missing")
  const timestamp = headerOf(request, "timestamp")
  if (timestamp === undefined) return yield* reject("missing-timestamp", "the svix-timestamp (or webhook-timestamp) header is missing")
  const header = headerOf(request, "signature")
  if (header === undefined) return yield* reject("missing-signature", "the svix-signature (or webhook-signature) header is missing")
  if (!/^\d{1,12}$/.test(timestamp)) {
    return yield* reject("malformed-timestamp", "the svix-timestamp header is not integer UNIX seconds")
  }
  const now = Math.floor(DateTime.toEpochMillis(request.receivedAt) / 1000)
  if (Math.abs(now - Number(timestamp)) > toleranceSeconds) {
    return yield* reject("timestamp-out-of-window", "the svix-timestamp header is more than 5 minutes away from the time of receipt")
  }
  const candidates = header.split(/\s+/).flatMap((entry) => {
    const comma = entry.indexOf(",")
    return comma > 0 && entry.slice(0, comma) === "v1" && comma < entry.length - 1 ? [entry.slice(comma + 1)] : []
  })
  if (candidates.length === 0) {
    return yield* reject("malformed-signature", "the svix-signature header has no \"v1,<base64>\" entry")
  }
  const expected = Buffer.from(signature(key, id, timestamp, request.rawBody))
  if (!candidates.some((candidate) => sameBytes(Buffer.from(candidate), expected))) {
    return yield* reject("signature-mismatch", "no v1 entry of the svix-signature header matches the body, id and timestamp")
  }
})

/** One event per request; each recipient in `data.to` becomes its own normalized event. */
export const decode = Effect.fnUntraced(function* (request: WebhookRequest, orgId: string) {
  const messageKey = headerOf(request, "id")
  if (messageKey === undefined) {
    return yield* new PayloadRejected({
      path: "headers.svix-id",
      message: "the svix-id (or webhook-id) header is missing: it is the event's deduplication key"
    })
  }
  const json = yield* parseJson(request.rawBody)
  return yield* normalize(json, messageKey, orgId)
})

export const provider: Provider<Secrets> = { vendor, verify, decode }
