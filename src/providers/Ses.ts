import { createPublicKey, verify as verifyRsa, X509Certificate } from "node:crypto"
import type { KeyObject } from "node:crypto"
import { Config, ConfigError, DateTime, Duration, Effect, Either, Option, Schema } from "effect"
import { NonBlank, parseInstant, Text } from "./Fields.js"
import { decodeMessage } from "./SesEvents.js"
import { SnsClient } from "./SnsClient.js"
import type { Provider, WebhookRequest } from "./Webhook.js"
import { decodeFirst, parseJson, PayloadRejected, show, SignatureRejected } from "./Webhook.js"

/** Amazon SES notifications delivered by an Amazon SNS HTTP/S subscription (PROVIDERS.md 3). */
export const vendor = "ses"

export { PayloadRejected, SignatureRejected }

const TopicArn = Schema.String.pipe(
  Schema.pattern(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]{1,256}$/, {
    message: (issue) => `expected an SNS topic ARN such as "arn:aws:sns:us-east-1:123456789012:ses-events", got ${show(issue.actual)}`
  })
)

/** A connection's secrets: the SNS topics whose messages it accepts. */
export const Secrets = Schema.Struct({ topicArns: Schema.NonEmptyArray(TopicArn) })
export type Secrets = typeof Secrets.Type

/** `SES_TOPIC_ARNS`: a comma-separated list of topic ARNs for the default org; none when unset or blank. */
export const envSecrets: Config.Config<Option.Option<Secrets>> = Config.option(Config.string("SES_TOPIC_ARNS")).pipe(
  Config.mapOrFail((text) => {
    const arns = Option.getOrElse(text, () => "").split(",").map((arn) => arn.trim()).filter((arn) => arn !== "")
    if (arns.length === 0) return Either.right(Option.none())
    return Either.map(
      Schema.decodeUnknownEither(Secrets)({ topicArns: arns }),
      (secrets) => Option.some(secrets)
    ).pipe(Either.mapLeft((error) => ConfigError.InvalidData(["SES_TOPIC_ARNS"], error.message)))
  })
)

const Envelope = Schema.Struct({
  Type: Schema.Literal("Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"),
  MessageId: Schema.String,
  TopicArn: Schema.String,
  Message: Schema.String,
  Timestamp: Schema.String,
  Subject: Text,
  SignatureVersion: Text,
  Signature: Text,
  SigningCertURL: Text,
  SigningCertUrl: Text,
  SubscribeURL: Text,
  SubscribeUrl: Text,
  Token: Text
})
export type Envelope = typeof Envelope.Type

const decodeEnvelope = decodeFirst(Envelope)

const reject = (check: string, message: string) => new SignatureRejected({ check, message })
/** AWS could not be reached: not the sender's fault, so a 503 that SNS will retry. */
const unavailable = (check: string, message: string) => new SignatureRejected({ check, message, status: 503 })

const envelopeOf = (rawBody: Uint8Array) =>
  Effect.flatMap(parseJson(rawBody), decodeEnvelope).pipe(
    Effect.mapError((error) => reject("malformed-envelope", `not an SNS message envelope: ${error.message}`))
  )

// Lambda-delivered messages spell the URL fields `…Url` (PROVIDERS.md 3.1).
const subscribeUrlOf = (envelope: Envelope) => envelope.SubscribeURL ?? envelope.SubscribeUrl ?? undefined

const notificationKeys = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"] as const
const confirmationKeys = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"] as const

/**
 * The bytes SNS signed: `key\nvalue\n` for each present key in AWS's fixed order, over the JSON-decoded
 * values (AWS "Verifying the signatures of Amazon SNS messages"). Confirmations of either kind include Token.
 */
export const stringToSign = (envelope: Envelope): string => {
  const values: Record<(typeof confirmationKeys)[number] | "Subject", string | null | undefined> = {
    Message: envelope.Message,
    MessageId: envelope.MessageId,
    Subject: envelope.Subject,
    SubscribeURL: subscribeUrlOf(envelope),
    Timestamp: envelope.Timestamp,
    Token: envelope.Token,
    TopicArn: envelope.TopicArn,
    Type: envelope.Type
  }
  const keys = envelope.Type === "Notification" ? notificationKeys : confirmationKeys
  return keys.flatMap((key) => (values[key] == null ? [] : [`${key}\n${values[key]}\n`])).join("")
}

/**
 * SNS retries an HTTP/S delivery for at most 3,600 s in total (PROVIDERS.md 3.4, a hard limit), so an
 * older Timestamp is a replay; the slack covers jitter and clock skew.
 */
export const maxAge = Duration.sum(Duration.seconds(3600), Duration.minutes(15))
export const maxClockSkew = Duration.minutes(15)

const algorithms = { "1": "sha1", "2": "sha256" } as const
const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** The certificate's RSA key, if the certificate is valid at `at`; a bare public-key PEM (test layers) has no dates. */
const signingKey = (pem: string, at: DateTime.Utc): Either.Either<KeyObject, SignatureRejected> => {
  try {
    if (!pem.includes("-----BEGIN CERTIFICATE-----")) return Either.right(createPublicKey(pem))
    const certificate = new X509Certificate(pem)
    const now = DateTime.toEpochMillis(at)
    if (now < Date.parse(certificate.validFrom) || now > Date.parse(certificate.validTo)) {
      return Either.left(reject("certificate-expired", `the SNS signing certificate is valid ${certificate.validFrom} to ${certificate.validTo} only`))
    }
    return Either.right(certificate.publicKey)
  } catch (error) {
    return Either.left(reject("certificate-unavailable", `the SNS signing certificate does not parse: ${error instanceof Error ? error.message : String(error)}`))
  }
}

const signatureMatches = (algorithm: "sha1" | "sha256", data: string, key: KeyObject, signature: Buffer): boolean => {
  try {
    return key.asymmetricKeyType === "rsa" && verifyRsa(algorithm, Buffer.from(data, "utf8"), key, signature)
  } catch {
    return false
  }
}

/**
 * Checks an SNS envelope: its topic is one of the org's, it is recent, its certificate comes from SNS
 * over https, and its RSA signature (SignatureVersion 1: SHA1, 2: SHA256) covers the string to sign.
 */
export const verify = Effect.fnUntraced(function* (secrets: Secrets | undefined, request: WebhookRequest) {
  if (secrets === undefined || secrets.topicArns.length === 0) {
    return yield* reject(
      "missing-secret",
      "SES_TOPIC_ARNS is not set: the default org, and every SES connection (as topicArns), must name the SNS topics allowed to post"
    )
  }
  const envelope = yield* envelopeOf(request.rawBody)
  if (!secrets.topicArns.includes(envelope.TopicArn)) {
    if (envelope.Type === "SubscriptionConfirmation") {
      yield* Effect.logWarning("SNS subscription confirmation refused: topic not allowed").pipe(Effect.annotateLogs({ topicArn: envelope.TopicArn }))
    }
    return yield* reject("topic-not-allowed", `TopicArn ${show(envelope.TopicArn)} is not in topicArns (SES_TOPIC_ARNS for the default org)`)
  }
  const signature = envelope.Signature?.trim() ?? ""
  if (signature === "") return yield* reject("missing-signature", "the SNS envelope has no Signature")
  const version = envelope.SignatureVersion ?? ""
  const algorithm = version === "1" || version === "2" ? algorithms[version] : undefined
  if (algorithm === undefined) return yield* reject("malformed-signature", `SignatureVersion ${show(version)} is neither "1" nor "2"`)
  if (!base64.test(signature)) return yield* reject("malformed-signature", "the SNS Signature is not base64")
  if (envelope.Type !== "Notification" && (subscribeUrlOf(envelope) == null || envelope.Token == null)) {
    return yield* reject("malformed-envelope", `a ${envelope.Type} must carry SubscribeURL and Token`)
  }
  const sent = parseInstant(envelope.Timestamp)
  if (sent === undefined) return yield* reject("malformed-envelope", `Timestamp ${show(envelope.Timestamp)} is not an ISO-8601 date-time`)
  const age = DateTime.distance(sent, request.receivedAt)
  if (age > Duration.toMillis(maxAge) || -age > Duration.toMillis(maxClockSkew)) {
    return yield* reject("timestamp-out-of-window", `Timestamp ${envelope.Timestamp} is outside the SNS delivery window of ${Duration.format(maxAge)}`)
  }
  const certificateUrl = envelope.SigningCertURL ?? envelope.SigningCertUrl ?? ""
  const pem = yield* Effect.flatMap(SnsClient, (sns) => sns.certificate(certificateUrl)).pipe(
    Effect.mapError((error) =>
      error.reason === "url-not-allowed" ? reject("certificate-url-not-allowed", error.message) : unavailable("certificate-unavailable", error.message)
    )
  )
  const key = yield* signingKey(pem, request.receivedAt)
  if (!signatureMatches(algorithm, stringToSign(envelope), key, Buffer.from(signature, "base64"))) {
    return yield* reject("signature-mismatch", `the SNS Signature does not match the message under ${certificateUrl}`)
  }
})

export interface SubscriptionOutcome {
  readonly kind: "confirmed" | "unsubscribe-logged" | "not-a-control-message"
  readonly topicArn?: string
}

/** After `verify`: confirms a SubscriptionConfirmation by visiting its SubscribeURL; an UnsubscribeConfirmation is only logged. */
export const subscription = Effect.fnUntraced(function* (request: WebhookRequest) {
  const envelope = yield* envelopeOf(request.rawBody)
  const topicArn = envelope.TopicArn
  const log = Effect.annotateLogs({ topicArn, messageId: envelope.MessageId })
  switch (envelope.Type) {
    case "Notification":
      return { kind: "not-a-control-message", topicArn } satisfies SubscriptionOutcome
    case "UnsubscribeConfirmation":
      yield* Effect.logInfo("SNS unsubscribe confirmation received; the subscription is not restored").pipe(log)
      return { kind: "unsubscribe-logged", topicArn } satisfies SubscriptionOutcome
    case "SubscriptionConfirmation": {
      const url = subscribeUrlOf(envelope) ?? ""
      const sns = yield* SnsClient
      yield* sns.confirm(url).pipe(
        Effect.mapError((error) =>
          error.reason === "url-not-allowed" ? reject("subscribe-url-not-allowed", error.message) : unavailable("subscription-confirmation-failed", error.message)
        )
      )
      yield* Effect.logInfo("SNS subscription confirmed").pipe(log)
      return { kind: "confirmed", topicArn } satisfies SubscriptionOutcome
    }
  }
})

const decodeEnvelopeForEvents = decodeFirst(Schema.Struct({
  Type: Schema.Literal("Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"),
  MessageId: NonBlank,
  Message: Schema.String
}))

/** A Notification's SES events, one per recipient; confirmations carry none. */
export const decode = Effect.fnUntraced(function* (request: WebhookRequest, orgId: string) {
  const envelope = yield* Effect.flatMap(parseJson(request.rawBody), decodeEnvelopeForEvents)
  if (envelope.Type !== "Notification") return []
  return yield* decodeMessage(envelope.Message, envelope.MessageId, orgId)
})

export const provider: Provider<Secrets, SnsClient> = { vendor, verify, decode }
