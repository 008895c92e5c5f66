import { expect, layer } from "@effect/vitest"
import { DateTime, Effect, Schema } from "effect"
import { call, contactsService } from "../support/contactsApi.js"
import { createConnection, genericOtherSecret, genericRequest, post, unique } from "../support/providerRoutes.js"
import { createBroadcast, providerEvents, register } from "../support/reports.js"
import { Pipeline } from "../../src/ingest/Pipeline.js"
import { adminKey } from "../support/signing.js"

const Page = Schema.Struct({ items: Schema.Array(Schema.Struct({ recipient: Schema.String })), nextCursor: Schema.NullOr(Schema.String) })
const pageOf = (reply: { readonly status: number; readonly body: unknown }) => {
  expect(reply.status).toBe(200)
  return Schema.decodeUnknownSync(Page)(reply.body)
}

layer(contactsService, { excludeTestServices: true })("the broadcast report", (it) => {
  it.effect("a page lists each delivery with its whole event chronology in time order, cost and error included", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const id = yield* createBroadcast(org)
      yield* register(org, id, [
        { recipient: "ada@example.com", providerMessageId: "m-1", contactId: "c-ada", cost: { value: 0.002, unit: "USD" } },
        { recipient: "bob@example.com", providerMessageId: "m-2" },
        { recipient: "+15550001111", channel: "sms", providerMessageId: "SM1" }
      ])
      yield* providerEvents(org, [
        { messageId: "m-1", recipient: "ada@example.com", type: "opened", at: "2026-03-01T10:05:00Z" },
        { messageId: "m-1", recipient: "ada@example.com", type: "delivered", at: "2026-03-01T10:01:00Z" },
        { messageId: "m-2", recipient: "bob@example.com", type: "bounced", at: "2026-03-01T10:02:00Z", data: { bounceKind: "hard", reason: "no such user" } }
      ])
      const reply = yield* call(org, `/broadcast/${id}/report`)
      expect(reply.status).toBe(200)
      // Bob's bounce made the pipeline create his contact: his row names it (#16 item 3).
      const bob = (yield* call(org, "/contacts?email=bob%40example.com")).body as { readonly items: ReadonlyArray<{ readonly id: string }> }
      // Registration orders rows its own way (ids, and so the report, follow it): compare by recipient.
      // Rows registered as sent start their chronology with it, at registration time (after these fixed past dates).
      const registered = { type: "sent", at: expect.any(String) }
      const body = Schema.decodeUnknownSync(Schema.Struct({ items: Schema.Array(Schema.Struct({ recipient: Schema.String }, { key: Schema.String, value: Schema.Unknown })), nextCursor: Schema.Null }))(reply.body)
      expect([...body.items].sort((a, b) => a.recipient.localeCompare(b.recipient))).toEqual([
          { broadcastId: id, recipient: "+15550001111", contactId: null, channel: "sms", status: "sent", providerMessageId: "SM1", events: [registered] },
          {
            broadcastId: id, recipient: "ada@example.com", contactId: "c-ada", channel: "email", status: "opened", providerMessageId: "m-1",
            cost: { value: 0.002, unit: "USD" },
            events: [{ type: "delivered", at: "2026-03-01T10:01:00.000Z" }, { type: "opened", at: "2026-03-01T10:05:00.000Z" }, registered]
          },
          {
            broadcastId: id, recipient: "bob@example.com", contactId: bob.items[0]?.id, channel: "email", status: "bounced", providerMessageId: "m-2",
            errorReason: "no such user",
            events: [{ type: "bounced", at: "2026-03-01T10:02:00.000Z", bounceKind: "hard", reason: "no such user" }, registered]
          }
        ].sort((a, b) => a.recipient.localeCompare(b.recipient)))
      const filtered = pageOf(yield* call(org, `/broadcast/${id}/report?status=bounced,sent`))
      expect(filtered.items.map((i) => i.recipient).sort()).toEqual(["+15550001111", "bob@example.com"])
      const sms = pageOf(yield* call(org, `/broadcast/${id}/report?channel=sms&status=sent`))
      expect(sms.items.map((i) => i.recipient)).toEqual(["+15550001111"])
    }))

  it.effect("bad parameters are 400s naming them; another org's broadcast is a 404; no token is a 401", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const id = yield* createBroadcast(org)
      expect(yield* call(org, `/broadcast/${id}/report?status=sent,lost`)).toEqual({
        status: 400, body: { error: "BadRequest", message: expect.stringMatching(/^status: 'lost' is not a delivery status/) }
      })
      expect(yield* call(org, `/broadcast/${id}/report?pageSize=1001`)).toMatchObject({ status: 400, body: { error: "BadRequest", message: expect.stringMatching(/^pageSize: /) } })
      expect(yield* call(org, `/broadcast/${id}/report?pageSize=0`)).toMatchObject({ status: 400 })
      expect(yield* call(org, `/broadcast/${id}/report?pageSize=1000`)).toMatchObject({ status: 200 })
      expect(yield* call(org, `/broadcast/${id}/report?cursor=bm9wZQ`)).toMatchObject({ status: 400, body: { error: "BadRequest", message: "cursor: not one this listing issued" } })
      expect(yield* call(org, `/broadcast/${id}/report?cursor=***`)).toMatchObject({ status: 400, body: { error: "BadRequest" } })
      expect(yield* call(org, `/broadcast/${id}/report?channel=fax`)).toMatchObject({ status: 400, body: { error: "BadRequest", message: expect.stringMatching(/^channel/) } })
      const intruder = unique("org-")
      expect(yield* call(intruder, `/broadcast/${id}/report`)).toEqual({ status: 404, body: { error: "NotFound", message: `no broadcast '${id}'` } })
      expect(yield* call(intruder, `/broadcast/${id}/report.csv`)).toMatchObject({ status: 404, body: { error: "NotFound" } })
      expect(yield* call(org, `/broadcast/${id}/report`, { authorized: false })).toMatchObject({ status: 401, body: { error: "Unauthorized" } })
      expect(yield* call(org, `/broadcast/${id}/report`, { tokenOrg: intruder })).toMatchObject({ status: 403, body: { error: "Forbidden" } })
    }))

  it.effect("paging while rows are inserted loses and repeats nothing", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const id = yield* createBroadcast(org)
      const rows = (from: number, count: number) =>
        Array.from({ length: count }, (_, i) => ({ recipient: `r${from + i}@example.com`, providerMessageId: `m-${from + i}` }))
      yield* register(org, id, rows(0, 20))
      const seen: Array<string> = []
      let cursor: string | null = null
      let inserted = 20
      let pages = 0
      do {
        const page = pageOf(yield* call(org, `/broadcast/${id}/report?pageSize=6${cursor === null ? "" : `&cursor=${cursor}`}`))
        seen.push(...page.items.map((i) => i.recipient))
        cursor = page.nextCursor
        pages++
        // Another sender registers more rows of the same broadcast between pages.
        if (pages <= 3) {
          yield* register(org, id, rows(inserted, 4))
          inserted += 4
        }
      } while (cursor !== null)
      expect(new Set(seen).size).toBe(seen.length)
      expect([...seen].sort()).toEqual(rows(0, inserted).map((r) => r.recipient).sort())
    }))

  it.effect("the CSV has a header and one RFC 4180 row per delivery", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const id = yield* createBroadcast(org)
      yield* register(org, id, [
        { recipient: "ada@example.com", providerMessageId: "m-1", contactId: "c,\"ada\"", cost: { value: 0.5, unit: "USD" } },
        { recipient: "bob@example.com", providerMessageId: "m-2" }
      ])
      yield* providerEvents(org, [{ messageId: "m-1", recipient: "ada@example.com", type: "delivered", at: "2026-03-01T10:01:00Z" }])
      const reply = yield* call(org, `/broadcast/${id}/report.csv`)
      expect(reply.status).toBe(200)
      const lines = String(reply.body).split("\r\n")
      expect(lines[0]).toBe("broadcastId,recipient,contactId,channel,status,providerMessageId,errorReason,costValue,costUnit,firstSentAt,deliveredAt,openedAt,clickedAt,eventCount")
      expect(lines[1]).toMatch(new RegExp(`^${id},ada@example.com,"c,""ada""",email,delivered,m-1,,0.5,USD,[^,]+,2026-03-01T10:01:00.000Z,,,2$`))
      expect(lines[2]).toMatch(new RegExp(`^${id},bob@example.com,,email,sent,m-2,,,,[^,]+,,,,1$`))
      expect(lines.slice(3)).toEqual([""])
      const sent = yield* call(org, `/broadcast/${id}/report.csv?status=sent`)
      expect(String(sent.body).split("\r\n")).toHaveLength(3)
    }))
})

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
const correlatedEvents = (org: string, events: ReadonlyArray<Record<string, unknown>>) =>
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
      yield* correlatedEvents(org, [
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
      yield* correlatedEvents(org, [
        { type: "sent", timestamp: later(now, 1), messageId: "m-before", recipient: "cy@example.com", broadcastId: id, senderAccountId: sender },
        { type: "delivered", timestamp: later(now, 2), messageId: "m-before", recipient: "cy@example.com", broadcastId: id, senderAccountId: sender }
      ])
      expect(yield* registerRows(org, id, [
        { recipient: "ada@example.com", providerMessageId: "m-after", status: "sent", senderAccountId: sender },
        { recipient: "cy@example.com", providerMessageId: "m-before", status: "sent", senderAccountId: sender }
      ])).toMatchObject({ status: 200, body: { created: 1, existing: 1 } })
      // m-after: the provider's own sent follows the registration, twice (a retry of the same event).
      const sent = { id: unique("evt-"), type: "sent", timestamp: later(now, 1), messageId: "m-after", recipient: "ada@example.com" }
      yield* correlatedEvents(org, [sent, sent, { type: "delivered", timestamp: later(now, 2), messageId: "m-after", recipient: "ada@example.com" }])
      yield* correlatedEvents(org, [sent])

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
