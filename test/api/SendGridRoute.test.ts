import { expect, layer } from "@effect/vitest"
import { Effect, Option } from "effect"
import {
  appliedDelivery, configuredService, createConnection, nowSeconds, post, refusal, sendgridDefault, sendgridOther, sendgridRequest, unique
} from "../support/providerRoutes.js"

/** A hard bounce as SendGrid's Event Webhook reports it; the message id is the part of sg_message_id before the first dot. */
const bounce = (messageId: string, recipient: string) => ({
  email: recipient,
  event: "bounce",
  type: "bounce",
  timestamp: nowSeconds(),
  "smtp-id": `<${messageId}@ismtpd0039p1iad1.sendgrid.net>`,
  sg_event_id: unique("Ym91bmNl"),
  sg_message_id: `${messageId}.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0`,
  reason: "550 5.1.1 The email account that you tried to reach does not exist",
  status: "5.1.1"
})

const delivered = (messageId: string, recipient: string) => ({
  email: recipient,
  event: "delivered",
  timestamp: nowSeconds(),
  sg_event_id: unique("ZGVsaXZlcmVk"),
  sg_message_id: `${messageId}.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0`,
  response: "250 2.0.0 OK"
})

layer(configuredService, { excludeTestServices: true })("SendGrid webhooks through the real server", (it) => {
  it.effect("a signed bounce is stored once, its retry is a duplicate, and the delivery becomes bounced", () =>
    Effect.gen(function* () {
      const messageId = unique("sg")
      const request = sendgridRequest(sendgridDefault, [bounce(messageId, "Ada@Example.com")])
      expect(yield* post("/connect/webhook/sendgrid", request)).toEqual({ status: 200, body: { accepted: 1, duplicates: 0 } })
      expect(yield* post("/connect/webhook/sendgrid", request)).toEqual({ status: 200, body: { accepted: 0, duplicates: 1 } })
      const row = yield* appliedDelivery({ orgId: "default", provider: "sendgrid", providerMessageId: messageId, recipient: "ada@example.com" })
      expect(Option.getOrUndefined(row)).toMatchObject({ orgId: "default", status: "bounced", channel: "email" })
    }))

  it.effect("a tampered body, a missing signature or another key's signature is refused with 401 naming the check", () =>
    Effect.gen(function* () {
      const messageId = unique("sg")
      const signed = sendgridRequest(sendgridDefault, [bounce(messageId, "ada@example.com")])
      const tampered = { ...signed, body: signed.body.replace("ada@example.com", "eve@example.com") }
      expect(yield* post("/connect/webhook/sendgrid", tampered)).toEqual({ status: 401, body: refusal("SignatureRejected", "signature-mismatch") })
      const unsigned = { body: signed.body, headers: { "content-type": "application/json" } }
      expect(yield* post("/connect/webhook/sendgrid", unsigned)).toEqual({ status: 401, body: refusal("SignatureRejected", "missing-signature") })
      const stranger = sendgridRequest(sendgridOther, [bounce(messageId, "ada@example.com")])
      expect(yield* post("/connect/webhook/sendgrid", stranger)).toEqual({ status: 401, body: refusal("SignatureRejected", "signature-mismatch") })
      const old = sendgridRequest(sendgridDefault, [bounce(messageId, "ada@example.com")], nowSeconds() - 74 * 3600)
      expect(yield* post("/connect/webhook/sendgrid", old)).toEqual({ status: 401, body: refusal("SignatureRejected", "timestamp-out-of-window") })
      const row = yield* appliedDelivery({ orgId: "default", provider: "sendgrid", providerMessageId: messageId, recipient: "ada@example.com" })
      expect(Option.isNone(row)).toBe(true)
    }))

  it.effect("a connection's route verifies with the connection's key and files the event under its org", () =>
    Effect.gen(function* () {
      const orgId = unique("acme-")
      const id = yield* createConnection(orgId, "sendgrid", { publicKey: sendgridOther.publicKey })
      const messageId = unique("sg")
      const request = sendgridRequest(sendgridOther, [delivered(messageId, "grace@example.com")])
      expect(yield* post(`/connect/webhook/sendgrid/${id}`, request)).toEqual({ status: 200, body: { accepted: 1, duplicates: 0 } })
      const key = { provider: "sendgrid", providerMessageId: messageId, recipient: "grace@example.com" }
      expect(Option.getOrUndefined(yield* appliedDelivery({ orgId, ...key }))).toMatchObject({ orgId, status: "delivered" })
      expect(Option.isNone(yield* appliedDelivery({ orgId: "default", ...key }))).toBe(true)
      const withDefaultKey = sendgridRequest(sendgridDefault, [delivered(unique("sg"), "grace@example.com")])
      expect(yield* post(`/connect/webhook/sendgrid/${id}`, withDefaultKey)).toEqual({ status: 401, body: refusal("SignatureRejected", "signature-mismatch") })
    }))
})
