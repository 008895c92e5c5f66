import { expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { call, contactsService } from "../support/contactsApi.js"
import { unique } from "../support/providerRoutes.js"
import { createBroadcast, providerEvents, register } from "../support/reports.js"

interface Contact { readonly id: string; readonly lastEngagedAt: Record<string, string> }

const ok = <A>(reply: { readonly status: number; readonly body: unknown }) => {
  expect(reply.status, JSON.stringify(reply.body)).toBe(200)
  return reply.body as A
}

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
