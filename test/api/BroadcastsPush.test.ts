import { expect, layer } from "@effect/vitest"
import { Effect, Option } from "effect"
import { Pipeline } from "../../src/ingest/Pipeline.js"
import { ContactRepository } from "../../src/storage/ContactRepository.js"
import { DeliveryRepository } from "../../src/storage/DeliveryRepository.js"
import { SuppressionRepository } from "../../src/storage/SuppressionRepository.js"
import { broadcastsService, call, createBroadcast } from "../support/broadcasts.js"
import { unique } from "../support/providerRoutes.js"

const pushBroadcast = (org: string) => createBroadcast(org, { name: "App update", category: "transactional", channels: ["push"] })

const deliveryOf = (orgId: string, provider: string, providerMessageId: string, recipient: string) =>
  Effect.flatMap(DeliveryRepository, (repo) => repo.findByProviderMessage({ orgId, provider, providerMessageId, recipient }))

const tokenOf = (orgId: string, token: string) =>
  Effect.map(
    Effect.flatMap(ContactRepository, (repo) => repo.findByAddress(orgId, "push", token)),
    Option.flatMap((contact) => Option.fromNullable(contact.pushTokens.find((t) => t.token === token)))
  )

layer(broadcastsService(), { excludeTestServices: true })("broadcasts: push results", (it) => {
  it.effect("successes are sent; dead tokens bounce and go inactive; other errors fail and keep the token", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const id = yield* pushBroadcast(org)
      const [ok, gone, quota, apnsGone, malformed, payload, invalidToken] =
        [unique("ok-"), unique("gone-"), unique("quota-"), unique("apns-gone-"), unique("malformed-"), unique("payload-"), unique("invalid-")] as const
      const body = {
        results: [
          { recipient: ok, provider: "fcm", messageId: "projects/p/messages/1", contactId: "c-ok", success: true },
          { recipient: gone, provider: "fcm", error: { code: "UNREGISTERED", message: "Requested entity was not found.", status: 404 } },
          { recipient: quota, provider: "fcm", error: { code: "QUOTA_EXCEEDED", message: "Quota exceeded", status: "RESOURCE_EXHAUSTED" } },
          { recipient: apnsGone, provider: "apns", error: { code: "Unregistered", status: 410 } },
          { recipient: malformed, provider: "apns", error: { code: "BadDeviceToken", status: 400 } },
          { recipient: payload, provider: "fcm", error: { code: "INVALID_ARGUMENT", message: "Invalid value at 'message.data[0].value'" } },
          { recipient: invalidToken, provider: "fcm", error: { code: "INVALID_ARGUMENT", message: "The registration token is not a valid FCM registration token" } }
        ]
      }
      expect(yield* call(org, "POST", `/broadcast/${id}/push-results`, body)).toEqual({
        status: 200,
        body: { sent: 1, bounced: 4, failed: 2, inactiveTokens: 4, accepted: 7, duplicates: 0, deliveries: expect.any(Array) }
      })
      yield* (yield* Pipeline).drain

      expect(Option.getOrThrow(yield* deliveryOf(org, "fcm", "projects/p/messages/1", ok)))
        .toMatchObject({ status: "sent", broadcastId: id, contactId: "c-ok", channel: "push" })
      expect(Option.getOrThrow(yield* deliveryOf(org, "fcm", `push-${id}-${gone}`, gone)))
        .toMatchObject({ status: "bounced", errorReason: "UNREGISTERED: Requested entity was not found." })
      expect(Option.getOrThrow(yield* deliveryOf(org, "fcm", `push-${id}-${quota}`, quota)))
        .toMatchObject({ status: "failed", errorReason: "QUOTA_EXCEEDED: Quota exceeded" })
      expect(Option.getOrThrow(yield* deliveryOf(org, "apns", `push-${id}-${apnsGone}`, apnsGone))).toMatchObject({ status: "bounced", errorReason: "Unregistered" })
      expect(Option.getOrThrow(yield* deliveryOf(org, "fcm", `push-${id}-${payload}`, payload))).toMatchObject({ status: "failed" })

      for (const token of [gone, apnsGone, malformed, invalidToken]) {
        expect(yield* tokenOf(org, token), token).toEqual(Option.some({ token, provider: "unknown", active: false }))
      }
      for (const token of [quota, payload]) {
        expect(Option.map(yield* tokenOf(org, token), (t) => t.active), token).not.toEqual(Option.some(false))
      }
      const suppressed = yield* (yield* SuppressionRepository).check(org, "push", [gone, quota], "transactional")
      expect([...suppressed.keys()]).toEqual([gone])
      expect((yield* call(org, "GET", `/broadcast/${id}`)).body).toMatchObject({ recipientCount: 7, counters: { bounced: 4, failed: 2 } })
    }))

  it.effect("repeating a call changes nothing: every event is a duplicate", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const id = yield* pushBroadcast(org)
      const token = unique("tok-")
      const body = { results: [{ recipient: token, provider: "fcm", error: { code: "UNREGISTERED" } }, { recipient: unique("tok-"), provider: "apns", success: true }] }
      expect((yield* call(org, "POST", `/broadcast/${id}/push-results`, body)).body).toMatchObject({ accepted: 2, duplicates: 0 })
      yield* (yield* Pipeline).drain
      const before = yield* deliveryOf(org, "fcm", `push-${id}-${token}`, token)
      expect((yield* call(org, "POST", `/broadcast/${id}/push-results`, body)).body).toMatchObject({ bounced: 1, sent: 1, accepted: 0, duplicates: 2 })
      yield* (yield* Pipeline).drain
      expect(yield* deliveryOf(org, "fcm", `push-${id}-${token}`, token)).toEqual(before)
      // A bounce proves the message left, so it counts as sent too.
      expect((yield* call(org, "GET", `/broadcast/${id}`)).body).toMatchObject({ counters: { bounced: 1, sent: 2 } })
    }))

  it.effect("a token the org registered for a contact stays that contact's and goes inactive; another org's same token is untouched", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const other = unique("org-")
      const token = unique("tok-")
      const contacts = yield* ContactRepository
      const mine = yield* contacts.ensure({ orgId: org, channel: "push", address: token, contactId: null })
      const theirs = yield* contacts.ensure({ orgId: other, channel: "push", address: token, contactId: null })
      const id = yield* pushBroadcast(org)
      yield* call(org, "POST", `/broadcast/${id}/push-results`, { results: [{ recipient: token, provider: "apns", contactId: mine.id, error: { code: "ExpiredToken", status: 410 } }] })
      yield* (yield* Pipeline).drain
      expect(Option.map(yield* contacts.findById(mine.id), (c) => c.pushTokens)).toEqual(Option.some([{ token, provider: "unknown", active: false }]))
      expect(Option.map(yield* contacts.findById(theirs.id), (c) => c.pushTokens)).toEqual(Option.some([{ token, provider: "unknown", active: true }]))
      expect(Option.isNone(yield* deliveryOf(other, "apns", `push-${id}-${token}`, token))).toBe(true)
      expect(yield* call(other, "POST", `/broadcast/${id}/push-results`, { results: [{ recipient: token, provider: "apns", success: true }] }))
        .toEqual({ status: 404, body: { error: "NotFound", message: `no broadcast '${id}'` } })
    }))

  it.effect("a bad result is a 400 naming its path; a broadcast without push is a 400", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const id = yield* pushBroadcast(org)
      const post = (results: ReadonlyArray<unknown>) => call(org, "POST", `/broadcast/${id}/push-results`, { results })
      expect(yield* post([{ recipient: "t", provider: "fcm", success: true }, { recipient: "t2", provider: "webpush", success: true }]))
        .toEqual({ status: 400, body: { error: "BadRequest", message: 'results[1].provider: Expected "fcm" | "apns", actual "webpush"' } })
      expect(yield* post([{ recipient: "t", provider: "fcm" }]))
        .toEqual({ status: 400, body: { error: "BadRequest", message: "results[0]: expected either success: true or an error, not both nor neither" } })
      expect(yield* post([{ recipient: "t", provider: "fcm", success: true, error: { code: "INTERNAL" } }]))
        .toMatchObject({ status: 400, body: { message: "results[0]: expected either success: true or an error, not both nor neither" } })
      expect(yield* post([{ recipient: "t", provider: "fcm", error: { message: "no code" } }]))
        .toEqual({ status: 400, body: { error: "BadRequest", message: "results[0].error.code: is missing" } })
      expect(yield* post(Array.from({ length: 10_001 }, (_, i) => ({ recipient: `t${i}`, provider: "fcm", success: true }))))
        .toEqual({ status: 400, body: { error: "BadRequest", message: "results: at most 10000 per call, got 10001" } })
      const email = yield* createBroadcast(org)
      expect(yield* call(org, "POST", `/broadcast/${email}/push-results`, { results: [{ recipient: "t", provider: "fcm", success: true }] }))
        .toEqual({ status: 400, body: { error: "BadRequest", message: "results: the broadcast's channels (email) do not include push" } })
    }))
})

// Nothing applies (this instance only acknowledges), so the first event fills the backlog of one.
layer(broadcastsService({ INBOX_MAX_BACKLOG: "1", PIPELINE_ENABLED: "false" }), { excludeTestServices: true })("broadcasts: push results when the pipeline is far behind", (it) => {
  it.effect("results are refused with 503 and Retry-After, to be sent again later", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const id = yield* pushBroadcast(org)
      const first = yield* call(org, "POST", `/broadcast/${id}/push-results`, { results: [{ recipient: unique("tok-"), provider: "fcm", success: true }] })
      expect(first.status).toBe(200)
      const refused = yield* call(org, "POST", `/broadcast/${id}/push-results`, { results: [{ recipient: unique("tok-"), provider: "fcm", success: true }] })
      expect(refused).toEqual({ status: 503, body: { error: "Overloaded", message: "1 events wait to be applied" } })
    }))
})
