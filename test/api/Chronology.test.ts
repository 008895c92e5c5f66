import { expect, layer } from "@effect/vitest"
import { DateTime, Effect, Schema } from "effect"
import { Pipeline } from "../../src/ingest/Pipeline.js"
import { call, contactsService } from "../support/contactsApi.js"
import { createConnection, genericOtherSecret, genericRequest, post, unique } from "../support/providerRoutes.js"
import { createBroadcast } from "../support/reports.js"
import { adminKey } from "../support/signing.js"

const Report = Schema.Struct({
  items: Schema.Array(Schema.Struct({
    providerMessageId: Schema.NullOr(Schema.String),
    status: Schema.String,
    events: Schema.Array(Schema.Struct({ type: Schema.String, at: Schema.String }))
  }))
})

/** The broadcast's report, by provider message id. */
const reportOf = (org: string, id: string) =>
  Effect.map(call(org, `/broadcast/${id}/report`), (reply) => {
    expect(reply.status).toBe(200)
    return new Map(Schema.decodeUnknownSync(Report)(reply.body).items.map((item) => [item.providerMessageId, item]))
  })

const Counted = Schema.Struct({ counters: Schema.Struct({ sent: Schema.Number, delivered: Schema.Number }) })

const countersOf = (org: string, id: string) =>
  Effect.map(call(org, `/broadcast/${id}`), (reply) => Schema.decodeUnknownSync(Counted)(reply.body).counters)

/** What GET /admin/sender-accounts answers for the account. */
const senderAccount = (org: string, account: string) =>
  Effect.gen(function* () {
    const reply = yield* call(org, `/admin/sender-accounts?orgId=${org}`, { headers: { authorization: `Bearer ${adminKey}` }, authorized: false })
    expect(reply.status).toBe(200)
    const { items } = Schema.decodeUnknownSync(Schema.Struct({ items: Schema.Array(Schema.Struct({ id: Schema.String, sent: Schema.Number, delivered: Schema.Number })) }))(reply.body)
    return items.find((a) => a.id === account)
  })

const registerRows = (org: string, id: string, rows: ReadonlyArray<Record<string, unknown>>) =>
  call(org, `/broadcast/${id}/deliveries`, { json: { deliveries: rows.map((r) => ({ channel: "email", provider: "generic", ...r })) } })

/** Minutes after now, so a provider's times follow the registration's (the event window ends a week ahead). */
const later = (now: DateTime.Utc, minutes: number) => DateTime.formatIso(DateTime.add(now, { minutes }))

/** Generic provider events for the org, with the correlation fields a sender adds, applied before returning. */
const providerEvents = (org: string, events: ReadonlyArray<Record<string, unknown>>) =>
  Effect.gen(function* () {
    const connection = yield* createConnection(org, "generic", { secret: genericOtherSecret })
    const body = events.map((e) => ({ id: unique("evt-"), data: {}, ...e }))
    expect((yield* post(`/connect/webhook/generic/${connection}`, genericRequest(genericOtherSecret, body))).status).toBe(200)
    yield* (yield* Pipeline).drain
  })

layer(contactsService, { excludeTestServices: true })("the chronology starts at sent", (it) => {
  it.effect("a row registered as sent reads sent, delivered, opened, clicked; registering it again adds no entry and counts nothing", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const sender = unique("sender-")
      const id = yield* createBroadcast(org)
      const rows = [
        { recipient: "ada@example.com", providerMessageId: "m-1", status: "sent", senderAccountId: sender },
        { recipient: "bob@example.com", providerMessageId: "m-2", senderAccountId: sender }
      ]
      expect(yield* registerRows(org, id, rows)).toMatchObject({ status: 200, body: { created: 2, existing: 0 } })
      expect(yield* registerRows(org, id, rows)).toMatchObject({ status: 200, body: { created: 0, existing: 2 } })
      const now = yield* DateTime.now
      yield* providerEvents(org, [
        { type: "clicked", timestamp: later(now, 3), messageId: "m-1", recipient: "ada@example.com" },
        { type: "delivered", timestamp: later(now, 1), messageId: "m-1", recipient: "ada@example.com" },
        { type: "opened", timestamp: later(now, 2), messageId: "m-1", recipient: "ada@example.com" }
      ])
      const report = yield* reportOf(org, id)
      expect(report.get("m-1")).toMatchObject({ status: "clicked" })
      expect(report.get("m-1")?.events.map((e) => e.type)).toEqual(["sent", "delivered", "opened", "clicked"])
      // A row registered as queued has not been sent: its chronology is empty.
      expect(report.get("m-2")).toEqual({ providerMessageId: "m-2", status: "queued", events: [] })
      expect(yield* senderAccount(org, sender)).toMatchObject({ sent: 1, delivered: 1 })
      expect(yield* countersOf(org, id)).toMatchObject({ sent: 1, delivered: 1 })
    }))

  it.effect("a provider's own sent, after the registration or before it, leaves one sent entry and one counted send", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const sender = unique("sender-")
      const id = yield* createBroadcast(org)
      const now = yield* DateTime.now
      // m-before: the provider's sent and delivered arrive before the send is registered.
      yield* providerEvents(org, [
        { type: "sent", timestamp: later(now, 1), messageId: "m-before", recipient: "cy@example.com", broadcastId: id, senderAccountId: sender },
        { type: "delivered", timestamp: later(now, 2), messageId: "m-before", recipient: "cy@example.com", broadcastId: id, senderAccountId: sender }
      ])
      expect(yield* registerRows(org, id, [
        { recipient: "ada@example.com", providerMessageId: "m-after", status: "sent", senderAccountId: sender },
        { recipient: "cy@example.com", providerMessageId: "m-before", status: "sent", senderAccountId: sender }
      ])).toMatchObject({ status: 200, body: { created: 1, existing: 1 } })
      // m-after: the provider's own sent follows the registration, twice (a retry of the same event).
      const sent = { id: unique("evt-"), type: "sent", timestamp: later(now, 1), messageId: "m-after", recipient: "ada@example.com" }
      yield* providerEvents(org, [sent, sent, { type: "delivered", timestamp: later(now, 2), messageId: "m-after", recipient: "ada@example.com" }])
      yield* providerEvents(org, [sent])

      const report = yield* reportOf(org, id)
      for (const message of ["m-after", "m-before"]) {
        expect(report.get(message)?.events.map((e) => [e.type, e.at]), message).toEqual([["sent", later(now, 1)], ["delivered", later(now, 2)]])
        expect(report.get(message)?.status).toBe("delivered")
      }
      expect(yield* senderAccount(org, sender)).toMatchObject({ sent: 2, delivered: 2 })
      expect(yield* countersOf(org, id)).toMatchObject({ sent: 2, delivered: 2 })
    }))

  it.effect("a registration that is refused records nothing: no row, no entry, no count", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const sender = unique("sender-")
      const id = yield* createBroadcast(org)
      const good = { recipient: "ada@example.com", providerMessageId: "m-1", status: "sent", senderAccountId: sender }
      expect(yield* registerRows(org, id, [good, { ...good, providerMessageId: "m-2", status: "delivered" }])).toEqual({
        status: 400, body: { error: "BadRequest", message: expect.stringMatching(/^deliveries\[1\]\.status: Expected "queued" \| "sent" \| undefined, actual "delivered"$/) }
      })
      expect(yield* registerRows(org, id, [good, { ...good, providerMessageId: "m-3", channel: "push" }])).toMatchObject({
        status: 400, body: { message: expect.stringMatching(/^deliveries\[1\]\.channel: 'push' is not one of the broadcast's channels/) }
      })
      expect(yield* registerRows(org, "b_none", [good])).toMatchObject({ status: 404, body: { error: "NotFound" } })
      expect(yield* registerRows(unique("org-"), id, [good])).toMatchObject({ status: 404, body: { error: "NotFound" } })
      expect((yield* reportOf(org, id)).size).toBe(0)
      expect(yield* senderAccount(org, sender)).toBeUndefined()
    }))
})
