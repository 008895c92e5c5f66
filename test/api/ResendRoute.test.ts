import { expect, layer } from "@effect/vitest"
import { Effect, Option } from "effect"
import {
  appliedDelivery, configuredService, createConnection, nowSeconds, post, refusal, resendDefaultSecret, resendOtherSecret, resendRequest, unique
} from "../support/providerRoutes.js"

/** An `email.bounced` event as Resend posts it (resend.com/docs/webhooks/event-types). */
const bounced = (emailId: string, recipient: string) => ({
  type: "email.bounced",
  created_at: new Date().toISOString(),
  data: {
    email_id: emailId,
    from: "Acme <onboarding@resend.dev>",
    to: [recipient],
    subject: "Sending this example",
    created_at: new Date().toISOString(),
    bounce: {
      type: "Permanent",
      subType: "General",
      message: "The recipient's email provider sent a hard bounce message: 550 5.1.1 user unknown"
    }
  }
})

const delivered = (emailId: string, recipient: string) => ({
  type: "email.delivered",
  created_at: new Date().toISOString(),
  data: { email_id: emailId, from: "Acme <onboarding@resend.dev>", to: [recipient], subject: "Sending this example", created_at: new Date().toISOString() }
})

layer(configuredService, { excludeTestServices: true })("Resend webhooks through the real server", (it) => {
  it.effect("a signed bounce is stored once, its retry is a duplicate, and the delivery becomes bounced", () =>
    Effect.gen(function* () {
      const emailId = unique("4ef9a417-")
      const request = resendRequest(resendDefaultSecret, bounced(emailId, "Ada@Example.com"))
      expect(yield* post("/connect/webhook/resend", request)).toEqual({ status: 200, body: { accepted: 1, duplicates: 0 } })
      expect(yield* post("/connect/webhook/resend", request)).toEqual({ status: 200, body: { accepted: 0, duplicates: 1 } })
      const row = yield* appliedDelivery({ orgId: "default", provider: "resend", providerMessageId: emailId, recipient: "ada@example.com" })
      expect(Option.getOrUndefined(row)).toMatchObject({ orgId: "default", status: "bounced" })
    }))

  it.effect("a tampered body, missing svix headers or an old timestamp is refused with 401 naming the check", () =>
    Effect.gen(function* () {
      const emailId = unique("4ef9a417-")
      const signed = resendRequest(resendDefaultSecret, bounced(emailId, "ada@example.com"))
      expect(yield* post("/connect/webhook/resend", { ...signed, body: signed.body.replace("Permanent", "Transient") }))
        .toEqual({ status: 401, body: refusal("SignatureRejected", "signature-mismatch") })
      const { "svix-signature": _, ...unsigned } = signed.headers
      expect(yield* post("/connect/webhook/resend", { ...signed, headers: unsigned }))
        .toEqual({ status: 401, body: refusal("SignatureRejected", "missing-signature") })
      expect(yield* post("/connect/webhook/resend", { body: signed.body, headers: { "content-type": "application/json" } }))
        .toEqual({ status: 401, body: refusal("SignatureRejected", "missing-message-id") })
      expect(yield* post("/connect/webhook/resend", resendRequest(resendDefaultSecret, bounced(emailId, "ada@example.com"), unique("msg_"), nowSeconds() - 3600)))
        .toEqual({ status: 401, body: refusal("SignatureRejected", "timestamp-out-of-window") })
      const row = yield* appliedDelivery({ orgId: "default", provider: "resend", providerMessageId: emailId, recipient: "ada@example.com" })
      expect(Option.isNone(row)).toBe(true)
    }))

  it.effect("a connection's route verifies with the connection's secret and files the event under its org", () =>
    Effect.gen(function* () {
      const orgId = unique("acme-")
      const id = yield* createConnection(orgId, "resend", { secret: resendOtherSecret })
      const emailId = unique("4ef9a417-")
      expect(yield* post(`/connect/webhook/resend/${id}`, resendRequest(resendOtherSecret, delivered(emailId, "grace@example.com"))))
        .toEqual({ status: 200, body: { accepted: 1, duplicates: 0 } })
      const key = { provider: "resend", providerMessageId: emailId, recipient: "grace@example.com" }
      expect(Option.getOrUndefined(yield* appliedDelivery({ orgId, ...key }))).toMatchObject({ orgId, status: "delivered" })
      expect(Option.isNone(yield* appliedDelivery({ orgId: "default", ...key }))).toBe(true)
      expect(yield* post(`/connect/webhook/resend/${id}`, resendRequest(resendDefaultSecret, delivered(unique("4ef9a417-"), "grace@example.com"))))
        .toEqual({ status: 401, body: refusal("SignatureRejected", "signature-mismatch") })
    }))
})
