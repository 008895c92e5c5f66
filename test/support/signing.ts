import { createHmac, generateKeyPairSync, randomUUID, sign as nodeSign } from "node:crypto"
import * as Resend from "../../src/providers/Resend.js"
import type { Envelope } from "../../src/providers/Ses.js"
import { stringToSign } from "../../src/providers/Ses.js"
import * as Twilio from "../../src/providers/Twilio.js"

// Each provider's secrets for tests and benchmarks, and requests signed the way the provider signs
// them. No test framework here: benchmark scripts import it too.

/** A fresh id per test, so tests sharing one server never touch each other's rows. */
export const unique = (prefix: string) => `${prefix}${randomUUID().replaceAll("-", "").slice(0, 16)}`

export const nowSeconds = () => Math.floor(Date.now() / 1000)

export const adminKey = "routes-admin-key"
export const publicBaseUrl = "https://track.example.com"

// SendGrid: an ECDSA P-256 key pair; the Verification Key is base64 of the public key's DER SPKI.
const sendgridKeyPair = () => {
  const pair = generateKeyPairSync("ec", { namedCurve: "prime256v1" })
  return { privateKey: pair.privateKey, publicKey: pair.publicKey.export({ format: "der", type: "spki" }).toString("base64") }
}
export type SendGridKey = ReturnType<typeof sendgridKeyPair>
export const sendgridDefault = sendgridKeyPair()
export const sendgridOther = sendgridKeyPair()

/** A batch as SendGrid posts it (CRLF framing) with the signature and timestamp headers over timestamp + body. */
export const sendgridRequest = (key: SendGridKey, events: ReadonlyArray<unknown>, timestamp = nowSeconds()) => {
  const body = `[${events.map((event) => JSON.stringify(event)).join(",\r\n")}]\r\n`
  const signature = nodeSign("sha256", Buffer.concat([Buffer.from(String(timestamp)), Buffer.from(body)]), { key: key.privateKey, dsaEncoding: "der" })
  return {
    body,
    headers: {
      "content-type": "application/json",
      "x-twilio-email-event-webhook-signature": signature.toString("base64"),
      "x-twilio-email-event-webhook-timestamp": String(timestamp)
    }
  }
}

export const mailgunDefaultKey = "key-mailgun-default-0123456789"
export const mailgunOtherKey = "key-mailgun-connection-9876543210"

/** A Mailgun JSON webhook: `signature` is the hex HMAC-SHA256 of timestamp + token with the signing key. */
export const mailgunRequest = (key: string, eventData: unknown, options: { token?: string; timestamp?: number } = {}) => {
  const timestamp = String(options.timestamp ?? nowSeconds())
  const token = options.token ?? unique("tok")
  const signature = createHmac("sha256", key).update(timestamp + token).digest("hex")
  return { body: JSON.stringify({ signature: { timestamp, token, signature }, "event-data": eventData }), headers: { "content-type": "application/json" } }
}

export const resendDefaultSecret = `whsec_${Buffer.from("resend-default-signing-key-01").toString("base64")}`
export const resendOtherSecret = `whsec_${Buffer.from("resend-connection-signing-key").toString("base64")}`

/** A Resend (Svix) delivery: svix-id, svix-timestamp and a v1 signature over "id.timestamp.body". */
export const resendRequest = (secret: string, event: unknown, id = unique("msg_"), timestamp = nowSeconds()) => {
  const body = JSON.stringify(event)
  return {
    body,
    headers: {
      "content-type": "application/json",
      "svix-id": id,
      "svix-timestamp": String(timestamp),
      "svix-signature": Resend.sign(secret, id, timestamp, body)
    }
  }
}

export const postmarkDefault = { user: "postmark-hook", password: "default-password" }
export const postmarkOther = { user: "postmark-conn", password: "connection-password" }

export const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`

export const twilioDefaultToken = "twilio-default-auth-token"
export const twilioOtherToken = "twilio-connection-auth-token"

/** A Twilio status callback signed over PUBLIC_BASE_URL + path and the sorted form parameters. */
export const twilioRequest = (authToken: string, path: string, params: Record<string, string>) => {
  const pairs = Object.entries(params)
  return {
    body: new URLSearchParams(pairs).toString(),
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "x-twilio-signature": Twilio.sign(authToken, `${publicBaseUrl}${path}`, pairs)
    }
  }
}

export const genericDefaultSecret = "generic-default-secret"
export const genericOtherSecret = "generic-connection-secret"

export const genericRequest = (secret: string, body: unknown) => {
  const text = JSON.stringify(body)
  return {
    body: text,
    headers: { "content-type": "application/json", "x-webhook-signature": `sha256=${createHmac("sha256", secret).update(text).digest("hex")}` }
  }
}

// SES: SNS envelopes signed with a generated RSA key that the SNS test layer serves as an SPKI PEM.
export const snsKey = generateKeyPairSync("rsa", { modulusLength: 2048 })
export const snsCertificateUrl = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-routes-test.pem"
export const sesDefaultTopic = "arn:aws:sns:us-east-1:123456789012:ses-events"
export const sesOtherTopic = "arn:aws:sns:eu-west-1:210987654321:acme-ses-events"
export const sesUnknownTopic = "arn:aws:sns:us-east-1:123456789012:somebody-elses-topic"

/** An SNS envelope signed as SNS signs it (SignatureVersion 2, SHA256 over the string to sign), timestamped now. */
export const snsRequest = (fields: Partial<Envelope> & { readonly Message: string }) => {
  const envelope: Envelope = {
    Type: "Notification",
    MessageId: randomUUID(),
    TopicArn: sesDefaultTopic,
    Timestamp: new Date().toISOString(),
    SignatureVersion: "2",
    SigningCertURL: snsCertificateUrl,
    ...fields
  }
  const signature = nodeSign("sha256", Buffer.from(stringToSign(envelope)), snsKey.privateKey).toString("base64")
  return { body: JSON.stringify({ ...envelope, Signature: signature }), headers: { "content-type": "text/plain; charset=UTF-8" } }
}

/** A permanent SES bounce for one recipient, as SES event publishing writes it. */
export const sesBounce = (messageId: string, recipient: string) => JSON.stringify({
  eventType: "Bounce",
  bounce: {
    bounceType: "Permanent",
    bounceSubType: "General",
    bouncedRecipients: [{ emailAddress: recipient, action: "failed", status: "5.1.1", diagnosticCode: "smtp; 550 5.1.1 user unknown" }],
    timestamp: new Date().toISOString(),
    feedbackId: unique("feedback-"),
    reportingMTA: "dsn; mta.example.com"
  },
  mail: {
    timestamp: new Date().toISOString(),
    source: "sender@example.com",
    messageId,
    destination: [recipient]
  }
})

/** Every provider's secrets for the default org, as the environment would carry them. */
export const configuredEnvironment: Record<string, string> = {
  ADMIN_API_KEY: adminKey,
  PUBLIC_BASE_URL: publicBaseUrl,
  SENDGRID_WEBHOOK_PUBLIC_KEY: sendgridDefault.publicKey,
  MAILGUN_WEBHOOK_SIGNING_KEY: mailgunDefaultKey,
  RESEND_WEBHOOK_SECRET: resendDefaultSecret,
  POSTMARK_WEBHOOK_USER: postmarkDefault.user,
  POSTMARK_WEBHOOK_PASSWORD: postmarkDefault.password,
  TWILIO_AUTH_TOKEN: twilioDefaultToken,
  SES_TOPIC_ARNS: sesDefaultTopic,
  GENERIC_WEBHOOK_SECRET: genericDefaultSecret
}
