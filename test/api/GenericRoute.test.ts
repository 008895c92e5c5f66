import { expect, layer } from "@effect/vitest"
import { Effect, Option } from "effect"
import { appliedDelivery, configuredService, createConnection, genericDefaultSecret, genericOtherSecret, genericRequest, post, refusal, unique } from "../support/providerRoutes.js"

/** One event in Sendtrail's own format (docs/webhooks.md). */
const event = (messageId: string, recipient: string, type: string, data: Record<string, unknown> = {}) => ({
  id: unique("evt-"),
  type,
  timestamp: new Date().toISOString(),
  messageId,
  recipient,
  data
})

layer(configuredService, { excludeTestServices: true })("generic webhooks through the real server", (it) => {
  it.effect("a signed bounce is stored once, its retry is a duplicate, and the delivery becomes bounced", () =>
    Effect.gen(function* () {
      const messageId = unique("gen-")
      const request = genericRequest(genericDefaultSecret, [event(messageId, "Ada@Example.com", "bounced", { reason: "550 5.1.1 no such user", bounceKind: "hard" })])
      expect(yield* post("/connect/webhook/generic", request)).toEqual({ status: 200, body: { accepted: 1, duplicates: 0 } })
      expect(yield* post("/connect/webhook/generic", request)).toEqual({ status: 200, body: { accepted: 0, duplicates: 1 } })
      const row = yield* appliedDelivery({ orgId: "default", provider: "generic", providerMessageId: messageId, recipient: "ada@example.com" })
      expect(Option.getOrUndefined(row)).toMatchObject({ orgId: "default", status: "bounced" })
    }))

  it.effect("a tampered or unsigned body is refused with 401 naming the check", () =>
    Effect.gen(function* () {
      const messageId = unique("gen-")
      const signed = genericRequest(genericDefaultSecret, [event(messageId, "ada@example.com", "delivered")])
      expect(yield* post("/connect/webhook/generic", { ...signed, body: signed.body.replace("delivered", "bounced") }))
        .toEqual({ status: 401, body: refusal("SignatureRejected", "signature-mismatch") })
      expect(yield* post("/connect/webhook/generic", { body: signed.body, headers: { "content-type": "application/json" } }))
        .toEqual({ status: 401, body: refusal("SignatureRejected", "missing-signature") })
      const row = yield* appliedDelivery({ orgId: "default", provider: "generic", providerMessageId: messageId, recipient: "ada@example.com" })
      expect(Option.isNone(row)).toBe(true)
    }))

  it.effect("a connection's route verifies with the connection's secret and files the event under its org", () =>
    Effect.gen(function* () {
      const orgId = unique("acme-")
      const id = yield* createConnection(orgId, "generic", { secret: genericOtherSecret })
      const messageId = unique("gen-")
      expect(yield* post(`/connect/webhook/generic/${id}`, genericRequest(genericOtherSecret, event(messageId, "grace@example.com", "delivered"))))
        .toEqual({ status: 200, body: { accepted: 1, duplicates: 0 } })
      const key = { provider: "generic", providerMessageId: messageId, recipient: "grace@example.com" }
      expect(Option.getOrUndefined(yield* appliedDelivery({ orgId, ...key }))).toMatchObject({ orgId, status: "delivered" })
      expect(Option.isNone(yield* appliedDelivery({ orgId: "default", ...key }))).toBe(true)
      expect(yield* post(`/connect/webhook/generic/${id}`, genericRequest(genericDefaultSecret, event(unique("gen-"), "grace@example.com", "delivered"))))
        .toEqual({ status: 401, body: refusal("SignatureRejected", "signature-mismatch") })
    }))
})
