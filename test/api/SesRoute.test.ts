import { expect, layer } from "@effect/vitest"
import { randomUUID } from "node:crypto"
import { Effect, Option } from "effect"
import {
  appliedDelivery, configuredService, confirmedSubscriptions, createConnection, post, refusal, sesBounce, sesDefaultTopic, sesOtherTopic,
  sesUnknownTopic, snsRequest, unique
} from "../support/providerRoutes.js"

const sesMessageId = () => `0100019${unique("")}-${randomUUID()}-000000`

const subscribeUrl = (topic: string) =>
  `https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${topic}&Token=${unique("2336412f37fb687f5d51e6e2425929f52e")}`

const confirmation = (topic: string, url: string) =>
  snsRequest({
    Type: "SubscriptionConfirmation",
    TopicArn: topic,
    Token: new URL(url).searchParams.get("Token") ?? "",
    SubscribeURL: url,
    Message: `You have chosen to subscribe to the topic ${topic}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`
  })

layer(configuredService, { excludeTestServices: true })("SES notifications through SNS and the real server", (it) => {
  it.effect("a signed bounce on /api/ses-events is stored once, its redelivery is a duplicate, and the delivery becomes bounced", () =>
    Effect.gen(function* () {
      const messageId = sesMessageId()
      const request = snsRequest({ Message: sesBounce(messageId, "Ada@Example.com") })
      expect(yield* post("/api/ses-events", request)).toEqual({ status: 200, body: { accepted: 1, duplicates: 0 } })
      expect(yield* post("/api/ses-events", request)).toEqual({ status: 200, body: { accepted: 0, duplicates: 1 } })
      const row = yield* appliedDelivery({ orgId: "default", provider: "ses", providerMessageId: messageId, recipient: "ada@example.com" })
      expect(Option.getOrUndefined(row)).toMatchObject({ orgId: "default", status: "bounced" })
    }))

  it.effect("the default org's own route /connect/webhook/ses/default accepts its topics too", () =>
    Effect.gen(function* () {
      const messageId = sesMessageId()
      const request = snsRequest({ Message: sesBounce(messageId, "ada@example.com") })
      expect(yield* post("/connect/webhook/ses/default", request)).toEqual({ status: 200, body: { accepted: 1, duplicates: 0 } })
      expect(yield* post("/api/ses-events", request)).toEqual({ status: 200, body: { accepted: 0, duplicates: 1 } })
      const row = yield* appliedDelivery({ orgId: "default", provider: "ses", providerMessageId: messageId, recipient: "ada@example.com" })
      expect(Option.getOrUndefined(row)).toMatchObject({ orgId: "default", status: "bounced" })
    }))

  it.effect("a tampered message, a missing signature or a topic not in SES_TOPIC_ARNS is refused with 401 naming the check", () =>
    Effect.gen(function* () {
      const messageId = sesMessageId()
      const signed = snsRequest({ Message: sesBounce(messageId, "ada@example.com") })
      expect(yield* post("/api/ses-events", { ...signed, body: signed.body.replace("Permanent", "Transient") }))
        .toEqual({ status: 401, body: refusal("SignatureRejected", "signature-mismatch") })
      const { Signature: _, ...unsigned } = JSON.parse(signed.body) as Record<string, unknown>
      expect(yield* post("/api/ses-events", { ...signed, body: JSON.stringify(unsigned) }))
        .toEqual({ status: 401, body: refusal("SignatureRejected", "missing-signature") })
      expect(yield* post("/api/ses-events", snsRequest({ TopicArn: sesUnknownTopic, Message: sesBounce(messageId, "ada@example.com") })))
        .toEqual({ status: 401, body: refusal("SignatureRejected", "topic-not-allowed") })
      const elsewhere = snsRequest({ Message: sesBounce(messageId, "ada@example.com"), SigningCertURL: "https://certificates.example.com/SimpleNotificationService.pem" })
      expect(yield* post("/api/ses-events", elsewhere)).toEqual({ status: 401, body: refusal("SignatureRejected", "certificate-url-not-allowed") })
      const row = yield* appliedDelivery({ orgId: "default", provider: "ses", providerMessageId: messageId, recipient: "ada@example.com" })
      expect(Option.isNone(row)).toBe(true)
    }))

  it.effect("a subscription confirmation for an allowed topic is confirmed by visiting its SubscribeURL; one for another topic is refused and not visited", () =>
    Effect.gen(function* () {
      const allowed = subscribeUrl(sesDefaultTopic)
      expect(yield* post("/api/ses-events", confirmation(sesDefaultTopic, allowed))).toEqual({ status: 200, body: { accepted: 0, duplicates: 0 } })
      expect(confirmedSubscriptions).toContain(allowed)
      const refused = subscribeUrl(sesUnknownTopic)
      expect(yield* post("/api/ses-events", confirmation(sesUnknownTopic, refused))).toEqual({ status: 401, body: refusal("SignatureRejected", "topic-not-allowed") })
      expect(confirmedSubscriptions).not.toContain(refused)
    }))

  it.effect("another org's route accepts the topics of its ses connection, files the events under it, and refuses the default org's topic", () =>
    Effect.gen(function* () {
      const orgId = unique("acme-")
      yield* createConnection(orgId, "ses", { topicArns: [sesOtherTopic] })
      const path = `/connect/webhook/ses/${orgId}`
      const url = subscribeUrl(sesOtherTopic)
      expect(yield* post(path, confirmation(sesOtherTopic, url))).toEqual({ status: 200, body: { accepted: 0, duplicates: 0 } })
      expect(confirmedSubscriptions).toContain(url)
      const messageId = sesMessageId()
      const request = snsRequest({ TopicArn: sesOtherTopic, Message: sesBounce(messageId, "grace@example.com") })
      expect(yield* post(path, request)).toEqual({ status: 200, body: { accepted: 1, duplicates: 0 } })
      expect(yield* post(path, request)).toEqual({ status: 200, body: { accepted: 0, duplicates: 1 } })
      const key = { provider: "ses", providerMessageId: messageId, recipient: "grace@example.com" }
      expect(Option.getOrUndefined(yield* appliedDelivery({ orgId, ...key }))).toMatchObject({ orgId, status: "bounced" })
      expect(Option.isNone(yield* appliedDelivery({ orgId: "default", ...key }))).toBe(true)
      // The default org's topic is not this org's, and the other org's topic is not the default org's.
      expect(yield* post(path, snsRequest({ Message: sesBounce(sesMessageId(), "grace@example.com") })))
        .toEqual({ status: 401, body: refusal("SignatureRejected", "topic-not-allowed") })
      expect(yield* post("/api/ses-events", snsRequest({ TopicArn: sesOtherTopic, Message: sesBounce(sesMessageId(), "grace@example.com") })))
        .toEqual({ status: 401, body: refusal("SignatureRejected", "topic-not-allowed") })
    }))

  it.effect("an org with no ses connection has no topics: its route refuses with missing-secret", () =>
    Effect.gen(function* () {
      const reply = yield* post(`/connect/webhook/ses/${unique("nobody-")}`, snsRequest({ Message: sesBounce(sesMessageId(), "ada@example.com") }))
      expect(reply).toEqual({ status: 401, body: refusal("SignatureRejected", "missing-secret") })
    }))
})
