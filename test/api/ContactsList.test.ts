import { expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { call, contactsService } from "../support/contactsApi.js"
import { createConnection, genericOtherSecret, genericRequest, post, unique } from "../support/providerRoutes.js"
import { createBroadcast, freshEvents, providerEvents, register } from "../support/reports.js"
import { Pipeline } from "../../src/ingest/Pipeline.js"

interface Item { readonly id: string; readonly email: string | null; readonly phone: string | null }
interface Page { readonly items: ReadonlyArray<Item>; readonly nextCursor: string | null }
interface Imported { readonly rows: ReadonlyArray<{ readonly row: number; readonly contactId?: string }> }

const importJson = (org: string, rows: ReadonlyArray<Record<string, unknown>>) =>
  Effect.map(call(org, "/contacts/import", { json: rows }), (reply) => {
    expect(reply.status).toBe(200)
    return (reply.body as Imported).rows.map((r) => r.contactId ?? "")
  })

const list = (org: string, query: string) =>
  Effect.map(call(org, `/contacts?${query}`), (reply) => {
    expect(reply.status, JSON.stringify(reply.body)).toBe(200)
    return reply.body as Page
  })

const ids = (page: Page) => page.items.map((c) => c.id)


layer(contactsService, { excludeTestServices: true })("listing contacts", (it) => {
  it.effect("a contact is found by its email in any case, by its phone however formatted, and by text in its name", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const [ada, grace] = yield* importJson(org, [
        { email: "ada@example.com", phone: "+44 20 7946 0958", name: "Ada Lovelace" },
        { email: "grace@example.com", name: "Grace Hopper" }
      ])
      expect(ids(yield* list(org, "email=ADA%40Example.COM"))).toEqual([ada])
      expect(ids(yield* list(org, `phone=${encodeURIComponent("+44 (20) 7946-0958")}`))).toEqual([ada])
      expect(ids(yield* list(org, "q=HOPPER"))).toEqual([grace])
      expect(new Set(ids(yield* list(org, "q=example.com")))).toEqual(new Set([ada, grace]))
      expect(yield* list(org, "email=nobody%40example.com")).toEqual({ items: [], nextCursor: null })
      expect((yield* list(org, "email=ada%40example.com")).items[0]).toMatchObject({
        email: "ada@example.com", phone: "+442079460958", attributes: { name: "Ada Lovelace" }, bouncedChannels: [], optedOut: []
      })
    }))

  it.effect("filters: bounced on a channel or any, opted out of a channel, suppressed or not", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      yield* freshEvents(org, [
        { recipient: "bounced@example.com", type: "bounced", data: { bounceKind: "hard", reason: "550 5.1.1 no such user" } },
        { recipient: "left@example.com", type: "unsubscribed", data: { category: "marketing" } }
      ])
      const [clean, blocked] = yield* importJson(org, [{ email: "clean@example.com" }, { email: "blocked@example.com" }])
      expect((yield* call(org, "/suppressions", { json: { channel: "email", address: "Blocked@Example.com", reason: "admin" } })).status).toBe(201)
      const bounced = ids(yield* list(org, "bounced=email"))
      const left = ids(yield* list(org, "optedOut=email"))
      expect(bounced).toHaveLength(1)
      expect(left).toHaveLength(1)
      expect(ids(yield* list(org, "bounced=true"))).toEqual(bounced)
      expect(ids(yield* list(org, "bounced=sms"))).toEqual([])
      expect(ids(yield* list(org, "optedOut=sms"))).toEqual([])
      expect(new Set(ids(yield* list(org, "bounced=false")))).toEqual(new Set([...left, clean, blocked]))
      expect(new Set(ids(yield* list(org, "suppressed=true")))).toEqual(new Set([...bounced, ...left, blocked]))
      expect(ids(yield* list(org, "suppressed=false"))).toEqual([clean])
      expect(ids(yield* list(org, "suppressed=true&bounced=false&optedOut=email"))).toEqual(left)
    }))

  it.effect("paging newest first neither loses nor repeats a contact; a cursor of another filter or another org is refused", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const older = yield* importJson(org, Array.from({ length: 12 }, (_, i) => ({ email: `old${i}@example.com` })))
      const newer = yield* importJson(org, Array.from({ length: 13 }, (_, i) => ({ email: `new${i}@example.com` })))
      const seen: Array<string> = []
      let cursor: string | null = null
      let pages = 0
      do {
        const page: Page = yield* list(org, `pageSize=4${cursor === null ? "" : `&cursor=${cursor}`}`)
        seen.push(...ids(page))
        cursor = page.nextCursor
        pages += 1
      } while (cursor !== null)
      expect(pages).toBe(7)
      expect(seen).toHaveLength(25)
      expect(new Set(seen)).toEqual(new Set([...older, ...newer]))
      expect(new Set(seen.slice(0, 13))).toEqual(new Set(newer))

      const first = yield* list(org, "pageSize=4")
      const refused = { status: 400, body: { error: "BadRequest", message: "cursor: not one this listing issued" } }
      expect(yield* call(org, `/contacts?pageSize=4&q=new&cursor=${first.nextCursor}`)).toEqual(refused)
      expect(yield* call(org, `/contacts?pageSize=4&bounced=false&cursor=${first.nextCursor}`)).toEqual(refused)
      expect(yield* call(unique("org-"), `/contacts?pageSize=4&cursor=${first.nextCursor}`)).toEqual(refused)
      expect(yield* call(org, "/contacts?cursor=bm90LWEtY3Vyc29y")).toEqual(refused)
      expect(ids(yield* list(org, `pageSize=4&cursor=${first.nextCursor}`))).toEqual(seen.slice(4, 8))
    }))

  it.effect("an unknown filter value is refused with 400 naming the allowed values", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const refusal = (query: string) => Effect.map(call(org, `/contacts?${query}`), (reply) => {
        expect(reply.status).toBe(400)
        return (reply.body as { readonly message: string }).message
      })
      expect(yield* refusal("bounced=maybe")).toBe("bounced: 'maybe' is not a flag or a channel; expected true, false, email, sms, whatsapp, push")
      expect(yield* refusal("optedOut=fax")).toBe("optedOut: 'fax' is not a channel; expected email, sms, whatsapp, push, telegram, in_app")
      expect(yield* refusal("suppressed=yes")).toBe("suppressed: 'yes' is not a flag; expected true, false")
      expect(yield* refusal("phone=call-me")).toMatch(/^phone: not a phone number in E\.164 form/)
      expect(yield* refusal("email=not-an-email")).toMatch(/^email: not an email address/)
      expect(yield* refusal("q=%20%20")).toBe("q: expected 1 to 255 characters, not all spaces")
      expect(yield* refusal("pageSize=0")).toBe("pageSize: expected a whole number from 1 to 1000")
    }))

  it.effect("another org's contacts never appear in the list, and its contact's id answers 404", () =>
    Effect.gen(function* () {
      const mine = unique("org-")
      const theirs = unique("org-")
      const [theirId] = yield* importJson(theirs, [{ email: "shared@example.com", name: "Theirs" }])
      expect(yield* list(mine, "email=shared%40example.com")).toEqual({ items: [], nextCursor: null })
      expect(yield* list(mine, "q=theirs")).toEqual({ items: [], nextCursor: null })
      const [myId] = yield* importJson(mine, [{ email: "shared@example.com" }])
      expect(ids(yield* list(mine, ""))).toEqual([myId])
      expect(ids(yield* list(theirs, "email=shared%40example.com"))).toEqual([theirId])
      expect((yield* call(mine, `/contacts/${theirId}`)).status).toBe(404)
    }))
})

interface ReportRow { readonly recipient: string; readonly contactId: string | null }

const ok = <A>(reply: { readonly status: number; readonly body: unknown }, status = 200) => {
  expect(reply.status, JSON.stringify(reply.body)).toBe(status)
  return reply.body as A
}

/** The id of the org's contact with this email, as GET /contacts finds it. */
const contactWith = (org: string, email: string) =>
  Effect.map(call(org, `/contacts?email=${encodeURIComponent(email)}`), (reply) => {
    const items = ok<{ readonly items: ReadonlyArray<{ readonly id: string }> }>(reply).items
    expect(items).toHaveLength(1)
    return items[0]!.id
  })

const reportOf = (org: string, broadcast: string) =>
  Effect.map(call(org, `/broadcast/${broadcast}/report`), (reply) =>
    new Map(ok<{ readonly items: ReadonlyArray<ReportRow> }>(reply).items.map((row) => [row.recipient, row.contactId])))

layer(contactsService, { excludeTestServices: true })("report rows name their contact", (it) => {
  it.effect("a report row's contactId is the contact of its address: imported before, created by the pipeline, or imported after", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const known = ok<{ readonly rows: ReadonlyArray<{ readonly contactId?: string }> }>(
        yield* call(org, "/contacts/import", { json: [{ email: "known@example.com" }, { email: "walkin@example.com" }] })).rows
      const broadcast = ok<{ readonly id: string }>(yield* call(org, "/broadcast", { json: { name: "Links", category: "marketing" } }), 201).id
      const message = (name: string) => `${org}-${name}`
      ok(yield* call(org, `/broadcast/${broadcast}/deliveries`, {
        json: {
          deliveries: [
            { recipient: "KNOWN@example.com", channel: "email", provider: "generic", providerMessageId: message("known"), status: "sent" },
            { recipient: "fresh@example.com", channel: "email", provider: "generic", providerMessageId: message("fresh"), status: "sent" },
            { recipient: "later@example.com", channel: "email", provider: "generic", providerMessageId: message("later"), status: "sent" },
            { recipient: "given@example.com", channel: "email", provider: "generic", providerMessageId: message("given"), contactId: "c-given" }
          ]
        }
      }))
      // A bounce makes the pipeline create fresh@'s contact; walkin@'s row is created by its provider event, never registered.
      const connection = yield* createConnection(org, "generic", { secret: genericOtherSecret })
      const events = [
        { id: unique("evt-"), type: "bounced", timestamp: new Date().toISOString(), messageId: message("fresh"), recipient: "fresh@example.com", data: { bounceKind: "hard", reason: "no such user" } },
        { id: unique("evt-"), type: "delivered", timestamp: new Date().toISOString(), messageId: message("walkin"), recipient: "Walkin@Example.com", broadcastId: broadcast }
      ]
      expect((yield* post(`/connect/webhook/generic/${connection}`, genericRequest(genericOtherSecret, events))).status).toBe(200)
      yield* (yield* Pipeline).drain

      const before = yield* reportOf(org, broadcast)
      expect(before.get("later@example.com")).toBeNull()
      ok(yield* call(org, "/contacts/import", { json: [{ email: "Later@Example.com" }] }))
      const report = yield* reportOf(org, broadcast)
      expect(report.get("known@example.com")).toBe(known[0]!.contactId)
      expect(report.get("walkin@example.com")).toBe(known[1]!.contactId)
      expect(report.get("fresh@example.com")).toBe(yield* contactWith(org, "fresh@example.com"))
      expect(report.get("later@example.com")).toBe(yield* contactWith(org, "later@example.com"))
      expect(report.get("given@example.com")).toBe("c-given")
    }))
})

interface Contact { readonly id: string; readonly lastEngagedAt: Record<string, string> }

/** Imports the rows and answers their contact ids, in order. */
const importContacts = (org: string, rows: ReadonlyArray<Record<string, unknown>>) =>
  Effect.map(call(org, "/contacts/import", { json: rows }), (reply) =>
    ok<{ readonly rows: ReadonlyArray<{ readonly contactId?: string }> }>(reply).rows.map((r) => r.contactId ?? ""))

const lastEngagedOf = (org: string, id: string) => Effect.map(call(org, `/contacts/${id}`), (reply) => ok<Contact>(reply).lastEngagedAt)

const opened = (messageId: string, recipient: string, at: string, machine = false) =>
  ({ messageId, recipient, type: "opened", at, data: machine ? { machine: true } : {} })

layer(contactsService, { excludeTestServices: true })("a contact's last engagement", (it) => {
  it.effect("lastEngagedAt is the last human open or click per channel; a machine's open changes nothing", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const [ada] = yield* importContacts(org, [{ email: "ada@example.com", phone: "+1 555 000 1111" }])
      const broadcast = yield* createBroadcast(org)
      yield* register(org, broadcast, [
        { recipient: "Ada@Example.com", providerMessageId: "m-1" },
        { recipient: "+15550001111", channel: "sms", providerMessageId: "SM1" }
      ])
      expect(yield* lastEngagedOf(org, ada!)).toEqual({})
      yield* providerEvents(org, [
        opened("m-1", "ada@example.com", "2026-03-01T10:05:00Z"),
        { messageId: "m-1", recipient: "ada@example.com", type: "clicked", at: "2026-03-01T10:07:00Z" },
        { messageId: "SM1", recipient: "+15550001111", type: "clicked", at: "2026-03-01T09:00:00Z", channel: "sms" }
      ])
      const engaged = { email: "2026-03-01T10:07:00.000Z", sms: "2026-03-01T09:00:00.000Z" }
      expect(yield* lastEngagedOf(org, ada!)).toEqual(engaged)
      // A later open by a machine (a proxy, a scanner), and an earlier human one: neither moves it.
      yield* providerEvents(org, [opened("m-1", "ada@example.com", "2026-03-02T08:00:00Z", true)])
      yield* providerEvents(org, [opened("m-1", "ada@example.com", "2026-03-01T10:01:00Z")])
      expect(yield* lastEngagedOf(org, ada!)).toEqual(engaged)
      const listed = ok<{ readonly items: ReadonlyArray<Contact> }>(yield* call(org, "/contacts?email=ada%40example.com")).items
      expect(listed.map((c) => c.lastEngagedAt)).toEqual([engaged])
    }))

  it.effect("lastEngagedAt is the same whatever order the opens arrive in, in one batch or one at a time", () =>
    Effect.gen(function* () {
      const times = ["2026-03-03T12:00:00Z", "2026-03-01T12:00:00Z", "2026-03-05T12:00:00Z", "2026-03-02T12:00:00Z"]
      const machineLater = "2026-03-09T12:00:00Z"
      const outcome = (order: ReadonlyArray<string>, oneAtATime: boolean) =>
        Effect.gen(function* () {
          const org = unique("org-")
          const [id] = yield* importContacts(org, [{ email: "ada@example.com" }])
          yield* register(org, yield* createBroadcast(org), [{ recipient: "ada@example.com", providerMessageId: "m-1" }])
          const events = [...order.map((at) => opened("m-1", "ada@example.com", at)), opened("m-1", "ada@example.com", machineLater, true)]
          if (oneAtATime) yield* Effect.forEach(events, (e) => providerEvents(org, [e]), { discard: true })
          else yield* providerEvents(org, events)
          return yield* lastEngagedOf(org, id!)
        })
      const expected = { email: "2026-03-05T12:00:00.000Z" }
      expect(yield* outcome(times, false)).toEqual(expected)
      expect(yield* outcome([...times].reverse(), false)).toEqual(expected)
      expect(yield* outcome(times, true)).toEqual(expected)
      expect(yield* outcome([...times].reverse(), true)).toEqual(expected)
    }))

  it.effect("lastEngagedBefore lists the contacts that engaged, last before the date; a bad date or another date's cursor is a 400", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const [early, late, never, machineOnly] = yield* importContacts(org, [
        { email: "early@example.com" }, { email: "late@example.com" }, { email: "never@example.com" }, { email: "machine@example.com" }
      ])
      yield* register(org, yield* createBroadcast(org), [
        { recipient: "early@example.com", providerMessageId: "m-early" },
        { recipient: "late@example.com", providerMessageId: "m-late" },
        { recipient: "never@example.com", providerMessageId: "m-never" },
        { recipient: "machine@example.com", providerMessageId: "m-machine" }
      ])
      yield* providerEvents(org, [
        opened("m-early", "early@example.com", "2026-03-01T10:00:00Z"),
        opened("m-late", "late@example.com", "2026-03-01T10:00:00Z"),
        opened("m-late", "late@example.com", "2026-03-10T10:00:00Z"),
        opened("m-machine", "machine@example.com", "2026-02-01T10:00:00Z", true)
      ])
      const ids = (query: string) =>
        Effect.map(call(org, `/contacts?${query}`), (reply) => new Set(ok<{ readonly items: ReadonlyArray<Contact> }>(reply).items.map((c) => c.id)))
      expect(yield* ids("lastEngagedBefore=2026-03-05")).toEqual(new Set([early]))
      expect(yield* ids("lastEngagedBefore=2026-04-01T00:00:00Z")).toEqual(new Set([early, late]))
      expect(yield* ids("lastEngagedBefore=2026-03-01T10:00:00Z")).toEqual(new Set())
      expect(yield* ids("")).toEqual(new Set([early, late, never, machineOnly]))
      expect(yield* call(org, "/contacts?lastEngagedBefore=last-week")).toEqual({
        status: 400, body: { error: "BadRequest", message: "lastEngagedBefore: expected an ISO 8601 date or time" }
      })
      const first = ok<{ readonly nextCursor: string | null }>(yield* call(org, "/contacts?lastEngagedBefore=2026-04-01&pageSize=1"))
      expect(first.nextCursor).not.toBeNull()
      expect(yield* call(org, `/contacts?lastEngagedBefore=2026-05-01&pageSize=1&cursor=${first.nextCursor}`)).toEqual({
        status: 400, body: { error: "BadRequest", message: "cursor: not one this listing issued" }
      })
    }))
})
