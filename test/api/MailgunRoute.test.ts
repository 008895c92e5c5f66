import { expect, layer } from "@effect/vitest"
import { Effect, Option } from "effect"
import {
  appliedDelivery, configuredService, createConnection, mailgunDefaultKey, mailgunOtherKey, mailgunRequest, nowSeconds, post, refusal, unique
} from "../support/providerRoutes.js"

/** A permanent failure (a hard bounce) as Mailgun's `event-data`; the Message-Id comes without angle brackets. */
const permanentFailure = (messageId: string, recipient: string) => ({
  event: "failed",
  id: unique("G9Bn5sl1TC6nu79C8C0bwg"),
  timestamp: nowSeconds() + 0.123456,
  severity: "permanent",
  reason: "bounce",
  recipient,
  "log-level": "error",
  message: { headers: { "message-id": `${messageId}@mg.example.com`, to: recipient, from: "sender@mg.example.com", subject: "Hello" } },
  "delivery-status": {
    code: 550,
    message: "5.1.1 The email account that you tried to reach does not exist",
    description: "",
    "enhanced-code": "5.1.1",
    "attempt-no": 1
  }
})

const delivered = (messageId: string, recipient: string) => ({
  event: "delivered",
  id: unique("CPgfbmQMTCKtHW6uIWtuVe"),
  timestamp: nowSeconds(),
  recipient,
  "log-level": "info",
  message: { headers: { "message-id": `${messageId}@mg.example.com` } },
  "delivery-status": { code: 250, message: "OK", description: "" }
})

layer(configuredService, { excludeTestServices: true })("Mailgun webhooks through the real server", (it) => {
  it.effect("a signed bounce is stored, a reused token is refused as a replay, the same event under a new token is a duplicate, and the delivery becomes bounced", () =>
    Effect.gen(function* () {
      const messageId = unique("mg")
      const event = permanentFailure(messageId, "Ada@Example.com")
      const request = mailgunRequest(mailgunDefaultKey, event)
      expect(yield* post("/connect/webhook/mailgun", request)).toEqual({ status: 200, body: { accepted: 1, duplicates: 0 } })
      expect(yield* post("/connect/webhook/mailgun", request)).toEqual({ status: 401, body: refusal("SignatureRejected", "replayed-token") })
      expect(yield* post("/connect/webhook/mailgun", mailgunRequest(mailgunDefaultKey, event))).toEqual({ status: 200, body: { accepted: 0, duplicates: 1 } })
      const row = yield* appliedDelivery({ orgId: "default", provider: "mailgun", providerMessageId: `${messageId}@mg.example.com`, recipient: "ada@example.com" })
      expect(Option.getOrUndefined(row)).toMatchObject({ orgId: "default", status: "bounced" })
    }))

  it.effect("a verified request whose events were not stored does not use up its token, so Mailgun's retry is heard", () =>
    Effect.gen(function* () {
      const event = permanentFailure(unique("mg"), "ada@example.com")
      const undecodable = mailgunRequest(mailgunDefaultKey, { ...event, message: { headers: {} } })
      const first = yield* post("/connect/webhook/mailgun", undecodable)
      expect(first.status).toBe(400)
      const retry = yield* post("/connect/webhook/mailgun", undecodable)
      expect(retry.status).toBe(400)
    }))

  it.effect("a wrong signature, a missing signature object or an old timestamp is refused with 401 naming the check", () =>
    Effect.gen(function* () {
      const messageId = unique("mg")
      const event = permanentFailure(messageId, "ada@example.com")
      const signed = mailgunRequest(mailgunDefaultKey, event)
      const forged = JSON.parse(signed.body) as { signature: { signature: string } }
      forged.signature.signature = "0".repeat(64)
      expect(yield* post("/connect/webhook/mailgun", { ...signed, body: JSON.stringify(forged) }))
        .toEqual({ status: 401, body: refusal("SignatureRejected", "signature-mismatch") })
      expect(yield* post("/connect/webhook/mailgun", { ...signed, body: JSON.stringify({ "event-data": event }) }))
        .toEqual({ status: 401, body: refusal("SignatureRejected", "missing-signature") })
      expect(yield* post("/connect/webhook/mailgun", mailgunRequest(mailgunOtherKey, event)))
        .toEqual({ status: 401, body: refusal("SignatureRejected", "signature-mismatch") })
      expect(yield* post("/connect/webhook/mailgun", mailgunRequest(mailgunDefaultKey, event, { timestamp: nowSeconds() - 3600 })))
        .toEqual({ status: 401, body: refusal("SignatureRejected", "timestamp-out-of-window") })
      const row = yield* appliedDelivery({ orgId: "default", provider: "mailgun", providerMessageId: `${messageId}@mg.example.com`, recipient: "ada@example.com" })
      expect(Option.isNone(row)).toBe(true)
    }))

  it.effect("a connection's route verifies with the connection's signing key and files the event under its org", () =>
    Effect.gen(function* () {
      const orgId = unique("acme-")
      const id = yield* createConnection(orgId, "mailgun", { signingKey: mailgunOtherKey })
      const messageId = unique("mg")
      expect(yield* post(`/connect/webhook/mailgun/${id}`, mailgunRequest(mailgunOtherKey, delivered(messageId, "grace@example.com"))))
        .toEqual({ status: 200, body: { accepted: 1, duplicates: 0 } })
      const key = { provider: "mailgun", providerMessageId: `${messageId}@mg.example.com`, recipient: "grace@example.com" }
      expect(Option.getOrUndefined(yield* appliedDelivery({ orgId, ...key }))).toMatchObject({ orgId, status: "delivered" })
      expect(Option.isNone(yield* appliedDelivery({ orgId: "default", ...key }))).toBe(true)
      expect(yield* post(`/connect/webhook/mailgun/${id}`, mailgunRequest(mailgunDefaultKey, delivered(unique("mg"), "grace@example.com"))))
        .toEqual({ status: 401, body: refusal("SignatureRejected", "signature-mismatch") })
    }))
})
