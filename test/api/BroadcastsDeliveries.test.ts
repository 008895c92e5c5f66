import { expect, layer } from "@effect/vitest"
import { DateTime, Effect, Option, Schema } from "effect"
import { emptyCounters } from "../../src/domain/Rollup.js"
import { Inbox } from "../../src/ingest/Inbox.js"
import { Pipeline } from "../../src/ingest/Pipeline.js"
import { BroadcastRepository } from "../../src/storage/BroadcastRepository.js"
import { DeliveryRepository } from "../../src/storage/DeliveryRepository.js"
import { SenderAccountRepository } from "../../src/storage/SenderAccountRepository.js"
import { bodyAs, broadcastsService, call, createBroadcast } from "../support/broadcasts.js"
import { makeEvent } from "../support/events.js"
import { unique } from "../support/providerRoutes.js"

const row = (messageId: string, recipient: string, extra: Record<string, unknown> = {}) =>
  ({ recipient, channel: "email", provider: "sendgrid", providerMessageId: messageId, ...extra })

/** Applies what the inbox holds, as the pipeline does in the background, and reads the account. */
const applyAndSettle = (senderAccountId: string) =>
  Effect.gen(function* () {
    yield* (yield* Pipeline).drain
    return Option.getOrThrow(yield* (yield* SenderAccountRepository).findById(senderAccountId))
  })

layer(broadcastsService(), { excludeTestServices: true })("broadcasts: registering deliveries", (it) => {
  it.effect("rows are created once; a repeat answers them as existing and counts nothing again", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const sender = unique("sender-")
      const id = yield* createBroadcast(org, { name: "Launch", category: "marketing", channels: ["email", "sms"] })
      const body = {
        deliveries: [
          row("m-1", "Ada@Example.com", { status: "sent", senderAccountId: sender, contactId: "c-ada", cost: { value: 0.001, unit: "USD" } }),
          row("m-2", "bob@example.com", { senderAccountId: sender }),
          { recipient: "+15550001111", channel: "sms", provider: "twilio", providerMessageId: "SM1", status: "sent", senderAccountId: sender }
        ]
      }
      const first = yield* call(org, "POST", `/broadcast/${id}/deliveries`, body)
      expect(first).toEqual({
        status: 200,
        body: {
          created: 3,
          existing: 0,
          deliveries: [
            { id: expect.any(Number), recipient: "ada@example.com", channel: "email", providerMessageId: "m-1", status: "sent" },
            { id: expect.any(Number), recipient: "bob@example.com", channel: "email", providerMessageId: "m-2", status: "queued" },
            { id: expect.any(Number), recipient: "+15550001111", channel: "sms", providerMessageId: "SM1", status: "sent" }
          ]
        }
      })
      const again = yield* call(org, "POST", `/broadcast/${id}/deliveries`, body)
      expect(again).toEqual({ status: 200, body: { ...bodyAs(Schema.Record({ key: Schema.String, value: Schema.Unknown }), first), created: 0, existing: 3 } })

      const stored = Option.getOrThrow(yield* (yield* DeliveryRepository).findByProviderMessage({ orgId: org, provider: "sendgrid", providerMessageId: "m-1", recipient: "ada@example.com" }))
      expect(stored).toMatchObject({ broadcastId: id, contactId: "c-ada", senderAccountId: sender, cost: { value: 0.001, unit: "USD" }, milestones: { sent: expect.anything() } })
      expect(yield* (yield* BroadcastRepository).recipients(id)).toEqual([
        { channel: "email", address: "ada@example.com", contactId: "c-ada" },
        { channel: "email", address: "bob@example.com", contactId: null },
        { channel: "sms", address: "+15550001111", contactId: null }
      ])
      const account = Option.getOrThrow(yield* (yield* SenderAccountRepository).findById(sender))
      expect(account).toMatchObject({ orgId: org, sent: 2, delivered: 0 })
      const view = yield* call(org, "GET", `/broadcast/${id}`)
      expect(view.body).toMatchObject({ recipientCount: 3, counters: { ...emptyCounters, sent: 2 } })
    }))

  it.effect("a row registered as sent counts its send once, however the provider reports it later", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const sender = unique("sender-")
      const id = yield* createBroadcast(org)
      yield* call(org, "POST", `/broadcast/${id}/deliveries`, {
        deliveries: [row("m-sent", "ada@example.com", { status: "sent", senderAccountId: sender }), row("m-queued", "bob@example.com", { senderAccountId: sender })]
      })
      const at = DateTime.add(yield* DateTime.now, { seconds: 5 })
      const event = (messageId: string, recipient: string, type: "sent" | "delivered") =>
        makeEvent({ orgId: org, provider: "sendgrid", providerMessageId: messageId, recipient, type, providerEventId: unique("evt-"), occurredAt: at })
      yield* (yield* Inbox).append([
        event("m-sent", "ada@example.com", "sent"),
        event("m-sent", "ada@example.com", "delivered"),
        event("m-queued", "bob@example.com", "delivered")
      ])
      expect(yield* applyAndSettle(sender)).toMatchObject({ sent: 2, delivered: 2 })
      const view = yield* call(org, "GET", `/broadcast/${id}`)
      expect(view.body).toMatchObject({ counters: { sent: 2, delivered: 2, delivery_ms_count: 1 } })
    }))

  it.effect("a bad item is a 400 naming its path, and nothing of the batch is stored", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const id = yield* createBroadcast(org)
      const bad = (item: Record<string, unknown>) => call(org, "POST", `/broadcast/${id}/deliveries`, { deliveries: [row("ok", "ok@example.com"), item] })
      expect(yield* bad(row("m", "a@example.com", { channel: "fax" })))
        .toMatchObject({ status: 400, body: { error: "BadRequest", message: 'deliveries[1].channel: Expected "email" | "sms" | "whatsapp" | "push" | "telegram" | "in_app", actual "fax"' } })
      expect(yield* bad({ recipient: "a@example.com", channel: "email", provider: "sendgrid" }))
        .toEqual({ status: 400, body: { error: "BadRequest", message: "deliveries[1].providerMessageId: is missing" } })
      expect(yield* bad(row("m", "  ")))
        .toMatchObject({ status: 400, body: { message: expect.stringMatching(/^deliveries\[1\]\.recipient: /) } })
      expect(yield* bad(row("m", "a@example.com", { status: "delivered" })))
        .toMatchObject({ status: 400, body: { message: expect.stringMatching(/^deliveries\[1\]\.status: /) } })
      expect(yield* bad(row("m", "a@example.com", { cost: { value: -1, unit: "USD" } })))
        .toMatchObject({ status: 400, body: { message: expect.stringMatching(/^deliveries\[1\]\.cost\.value: /) } })
      expect(yield* bad(row("m", "+15550001111", { channel: "sms" }))).toEqual({
        status: 400,
        body: { error: "BadRequest", message: "deliveries[1].channel: 'sms' is not one of the broadcast's channels (email)" }
      })
      expect(yield* call(org, "POST", `/broadcast/${id}/deliveries`, { items: [] }))
        .toMatchObject({ status: 400, body: { error: "BadRequest", message: expect.stringMatching(/^deliveries: /) } })
      expect(yield* (yield* BroadcastRepository).recipients(id)).toEqual([])
    }))

  it.effect("more than 10,000 rows in one call is a 400; 10,000 are registered in one go", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const id = yield* createBroadcast(org)
      const rows = Array.from({ length: 10_001 }, (_, i) => row(`bulk-${i}`, `user${i}@example.com`, { status: "sent" }))
      expect(yield* call(org, "POST", `/broadcast/${id}/deliveries`, { deliveries: rows }))
        .toEqual({ status: 400, body: { error: "BadRequest", message: "deliveries: at most 10000 per call, got 10001" } })
      const ok = yield* call(org, "POST", `/broadcast/${id}/deliveries`, { deliveries: rows.slice(0, 10_000) })
      expect(ok.status).toBe(200)
      expect(ok.body).toMatchObject({ created: 10_000, existing: 0 })
      expect((yield* call(org, "GET", `/broadcast/${id}`)).body).toMatchObject({ recipientCount: 10_000, counters: { sent: 10_000 } })
    }), { timeout: 60_000 })

  it.effect("an org cannot register into another org's broadcast, nor count on its sender account", () =>
    Effect.gen(function* () {
      const owner = unique("org-")
      const sender = unique("sender-")
      const id = yield* createBroadcast(owner)
      yield* call(owner, "POST", `/broadcast/${id}/deliveries`, { deliveries: [row("m-1", "ada@example.com", { status: "sent", senderAccountId: sender })] })
      const intruder = unique("org-")
      expect(yield* call(intruder, "POST", `/broadcast/${id}/deliveries`, { deliveries: [row("m-2", "eve@example.com")] }))
        .toEqual({ status: 404, body: { error: "NotFound", message: `no broadcast '${id}'` } })
      const own = yield* createBroadcast(intruder)
      expect(yield* call(intruder, "POST", `/broadcast/${own}/deliveries`, { deliveries: [row("m-3", "eve@example.com", { status: "sent", senderAccountId: sender })] }))
        .toEqual({ status: 400, body: { error: "BadRequest", message: `deliveries[0].senderAccountId: '${sender}' is not a sender account of this organisation` } })
      // The same provider message id and recipient in another org is that org's own row.
      const mirrored = yield* call(intruder, "POST", `/broadcast/${own}/deliveries`, { deliveries: [row("m-1", "ada@example.com", { status: "sent" })] })
      expect(mirrored.body).toMatchObject({ created: 1, existing: 0 })
      const repo = yield* DeliveryRepository
      const ownersRow = Option.getOrThrow(yield* repo.findByProviderMessage({ orgId: owner, provider: "sendgrid", providerMessageId: "m-1", recipient: "ada@example.com" }))
      expect(ownersRow).toMatchObject({ broadcastId: id, senderAccountId: sender })
      expect(Option.getOrThrow(yield* (yield* SenderAccountRepository).findById(sender))).toMatchObject({ orgId: owner, sent: 1 })
    }))
})
