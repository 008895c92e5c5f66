import { expect, layer } from "@effect/vitest"
import { randomInt } from "node:crypto"
import { Effect, Option } from "effect"
import { appliedDelivery, basic, configuredService, createConnection, post, postmarkDefault, postmarkOther, refusal, unique } from "../support/providerRoutes.js"

/** A hard bounce as Postmark's bounce webhook posts it (postmarkapp.com/developer/webhooks/bounce-webhook). */
const hardBounce = (messageId: string, recipient: string) => JSON.stringify({
  RecordType: "Bounce",
  MessageStream: "outbound",
  ID: randomInt(1, 2 ** 47),
  Type: "HardBounce",
  TypeCode: 1,
  Name: "Hard bounce",
  Tag: "Invitation",
  MessageID: messageId,
  ServerID: 23,
  Description: "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
  Details: "smtp;550 5.1.1 The email account that you tried to reach does not exist",
  Email: recipient,
  From: "sender@example.com",
  BouncedAt: new Date().toISOString(),
  Inactive: true,
  CanActivate: true,
  Subject: "Welcome"
})

const delivery = (messageId: string, recipient: string) => JSON.stringify({
  RecordType: "Delivery",
  ServerID: 23,
  MessageStream: "outbound",
  MessageID: messageId,
  Recipient: recipient,
  Tag: "welcome-email",
  DeliveredAt: new Date().toISOString(),
  Details: "smtp;250 2.0.0 OK",
  Metadata: {}
})

const withCredentials = (body: string, authorization?: string) => ({
  body,
  headers: { "content-type": "application/json", ...(authorization === undefined ? {} : { authorization }) }
})

layer(configuredService, { excludeTestServices: true })("Postmark webhooks through the real server", (it) => {
  it.effect("a bounce with the right Basic credentials is stored once, its retry is a duplicate, and the delivery becomes bounced", () =>
    Effect.gen(function* () {
      const messageId = crypto.randomUUID()
      const request = withCredentials(hardBounce(messageId, "Ada@Example.com"), basic(postmarkDefault.user, postmarkDefault.password))
      expect(yield* post("/connect/webhook/postmark", request)).toEqual({ status: 200, body: { accepted: 1, duplicates: 0 } })
      expect(yield* post("/connect/webhook/postmark", request)).toEqual({ status: 200, body: { accepted: 0, duplicates: 1 } })
      const row = yield* appliedDelivery({ orgId: "default", provider: "postmark", providerMessageId: messageId, recipient: "ada@example.com" })
      expect(Option.getOrUndefined(row)).toMatchObject({ orgId: "default", status: "bounced" })
    }))

  it.effect("no credentials are a 401, a wrong password a 403 Forbidden, and nothing is stored", () =>
    Effect.gen(function* () {
      const messageId = crypto.randomUUID()
      const body = hardBounce(messageId, "ada@example.com")
      expect(yield* post("/connect/webhook/postmark", withCredentials(body))).toEqual({ status: 401, body: refusal("SignatureRejected", "missing-credentials") })
      expect(yield* post("/connect/webhook/postmark", withCredentials(body, basic(postmarkDefault.user, "guess"))))
        .toEqual({ status: 403, body: refusal("Forbidden", "wrong-credentials") })
      const row = yield* appliedDelivery({ orgId: "default", provider: "postmark", providerMessageId: messageId, recipient: "ada@example.com" })
      expect(Option.isNone(row)).toBe(true)
    }))

  it.effect("a connection's route checks the connection's credentials and files the event under its org", () =>
    Effect.gen(function* () {
      const orgId = unique("acme-")
      const id = yield* createConnection(orgId, "postmark", postmarkOther)
      const messageId = crypto.randomUUID()
      expect(yield* post(`/connect/webhook/postmark/${id}`, withCredentials(delivery(messageId, "grace@example.com"), basic(postmarkOther.user, postmarkOther.password))))
        .toEqual({ status: 200, body: { accepted: 1, duplicates: 0 } })
      const key = { provider: "postmark", providerMessageId: messageId, recipient: "grace@example.com" }
      expect(Option.getOrUndefined(yield* appliedDelivery({ orgId, ...key }))).toMatchObject({ orgId, status: "delivered" })
      expect(Option.isNone(yield* appliedDelivery({ orgId: "default", ...key }))).toBe(true)
      // Postmark is unsigned: the default org's credentials are simply the wrong ones here, a 403.
      const withDefault = withCredentials(delivery(crypto.randomUUID(), "grace@example.com"), basic(postmarkDefault.user, postmarkDefault.password))
      expect(yield* post(`/connect/webhook/postmark/${id}`, withDefault)).toEqual({ status: 403, body: refusal("Forbidden", "wrong-credentials") })
    }))
})
