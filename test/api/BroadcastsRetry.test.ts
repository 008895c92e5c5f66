import { expect, layer } from "@effect/vitest"
import { DateTime, Effect, Schema } from "effect"
import type { EventType } from "../../src/domain/Event.js"
import { Inbox } from "../../src/ingest/Inbox.js"
import { Pipeline } from "../../src/ingest/Pipeline.js"
import { BroadcastRepository } from "../../src/storage/BroadcastRepository.js"
import { ContactRepository } from "../../src/storage/ContactRepository.js"
import type { Reply } from "../support/broadcasts.js"
import { bodyAs, broadcastsService, call, createBroadcast } from "../support/broadcasts.js"
import { makeEvent } from "../support/events.js"
import { unique } from "../support/providerRoutes.js"

/** Registers one queued delivery per recipient, then lets the provider report each one's outcome. */
const sendAndReport = (org: string, broadcastId: string, outcomes: ReadonlyArray<readonly [string, "email" | "sms" | "push", EventType, Record<string, unknown>?]>) =>
  Effect.gen(function* () {
    yield* call(org, "POST", `/broadcast/${broadcastId}/deliveries`, {
      deliveries: outcomes.map(([recipient, channel], i) => ({ recipient, channel, provider: "generic", providerMessageId: `${broadcastId}-${i}` }))
    })
    const at = yield* DateTime.now
    yield* (yield* Inbox).append(outcomes.map(([recipient, channel, type, details], i) => makeEvent({
      orgId: org, provider: "generic", providerMessageId: `${broadcastId}-${i}`, recipient, channel, type, occurredAt: at,
      providerEventId: unique("evt-"), details: { category: "marketing", ...details }
    })))
    yield* (yield* Pipeline).drain
  })

const retryIdOf = (reply: Reply) => bodyAs(Schema.Struct({ broadcast: Schema.Struct({ id: Schema.String }) }), reply).broadcast.id

layer(broadcastsService(), { excludeTestServices: true })("broadcasts: retry lists", (it) => {
  it.effect("a retry list holds the failed and bounced recipients minus the suppressed, opted out, bounced and dead tokens", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const id = yield* createBroadcast(org, { name: "Spring sale", category: "marketing", channels: ["email", "sms", "push"] })
      const [liveToken, deadToken] = [unique("tok-"), unique("tok-")]
      yield* sendAndReport(org, id, [
        ["failed@example.com", "email", "failed"],
        ["hard@example.com", "email", "bounced", { bounceKind: "hard", reason: "550 no such user" }],
        ["optedout@example.com", "email", "failed"],
        ["flagged@example.com", "email", "failed"],
        ["fine@example.com", "email", "delivered"],
        ["+15550001111", "sms", "failed"],
        [liveToken, "push", "failed"],
        [deadToken, "push", "failed"]
      ])
      const contacts = yield* ContactRepository
      const optedOut = yield* contacts.ensure({ orgId: org, channel: "email", address: "optedout@example.com", contactId: null })
      yield* contacts.optOut(optedOut.id, ["email:marketing"])
      const flagged = yield* contacts.ensure({ orgId: org, channel: "email", address: "flagged@example.com", contactId: null })
      yield* contacts.markBounced(flagged.id, "email")
      yield* contacts.ensure({ orgId: org, channel: "push", address: deadToken, contactId: null })
      yield* contacts.deactivatePushToken(org, deadToken, "fcm UNREGISTERED")

      const reply = yield* call(org, "POST", `/broadcast/${id}/retry-list`, { statuses: ["failed", "bounced"] })
      expect(reply).toEqual({
        status: 201,
        body: {
          broadcast: {
            id: expect.stringMatching(/^b_/), orgId: org, name: "Spring sale (retry)", category: "marketing",
            channels: ["email", "sms", "push"], retryOf: id, createdAt: expect.any(String)
          },
          included: 3,
          excluded: { suppressed: 1, optedOut: 1, bounced: 1, inactiveToken: 1 }
        }
      })
      const retryId = retryIdOf(reply)
      expect(yield* (yield* BroadcastRepository).recipients(retryId)).toEqual([
        { channel: "email", address: "failed@example.com", contactId: null },
        { channel: "push", address: liveToken, contactId: null },
        { channel: "sms", address: "+15550001111", contactId: null }
      ])
      expect((yield* call(org, "GET", `/broadcast/${retryId}`)).body).toMatchObject({ retryOf: id, recipientCount: 3, counters: null })
    }))

  it.effect("security mail is retried to those who only opted out, never to the bounced", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const id = yield* createBroadcast(org, { name: "Sign-in code", category: "security" })
      yield* sendAndReport(org, id, [["ada@example.com", "email", "failed"], ["gone@example.com", "email", "bounced", { bounceKind: "hard" }]])
      const contacts = yield* ContactRepository
      const ada = yield* contacts.ensure({ orgId: org, channel: "email", address: "ada@example.com", contactId: null })
      yield* contacts.optOut(ada.id, ["email"])
      const reply = yield* call(org, "POST", `/broadcast/${id}/retry-list`, { statuses: ["failed", "bounced"] })
      expect(reply.body).toMatchObject({ broadcast: { category: "security" }, included: 1, excluded: { suppressed: 1, optedOut: 0 } })
    }))

  it.effect("bad statuses are a 400 naming the item, and another org's broadcast is a 404", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const id = yield* createBroadcast(org)
      expect(yield* call(org, "POST", `/broadcast/${id}/retry-list`, { statuses: ["failed", "lost"] })).toMatchObject({
        status: 400,
        body: { error: "BadRequest", message: expect.stringMatching(/^statuses\[1\]: Expected "queued" \| "sent" \| .*, actual "lost"$/) }
      })
      expect(yield* call(org, "POST", `/broadcast/${id}/retry-list`, { statuses: [] }))
        .toEqual({ status: 400, body: { error: "BadRequest", message: "statuses: at least one status is needed" } })
      expect(yield* call(org, "POST", `/broadcast/${id}/retry-list`, {}))
        .toMatchObject({ status: 400, body: { error: "BadRequest", message: expect.stringMatching(/^statuses: /) } })
      const intruder = unique("org-")
      expect(yield* call(intruder, "POST", `/broadcast/${id}/retry-list`, { statuses: ["failed"] }))
        .toEqual({ status: 404, body: { error: "NotFound", message: `no broadcast '${id}'` } })
    }))

  it.effect("a retry list only draws on the org's own deliveries", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const id = yield* createBroadcast(org)
      yield* sendAndReport(org, id, [["ada@example.com", "email", "failed"]])
      // Another org's failed delivery filed under this broadcast id (its own rows, same id by accident or malice).
      const intruder = unique("org-")
      yield* (yield* Inbox).append([makeEvent({
        orgId: intruder, provider: "generic", providerMessageId: "x-1", recipient: "eve@example.com", type: "failed",
        providerEventId: unique("evt-"), broadcastId: id, occurredAt: yield* DateTime.now
      })])
      yield* (yield* Pipeline).drain
      const reply = yield* call(org, "POST", `/broadcast/${id}/retry-list`, { statuses: ["failed"] })
      expect(reply.body).toMatchObject({ included: 1 })
      const retryId = retryIdOf(reply)
      expect(yield* (yield* BroadcastRepository).recipients(retryId)).toEqual([{ channel: "email", address: "ada@example.com", contactId: null }])
    }))
})
