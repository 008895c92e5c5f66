import { expect, layer } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { activityCursor } from "../../src/reports/Activity.js"
import { call, contactsService } from "../support/contactsApi.js"
import { unique } from "../support/providerRoutes.js"
import { createBroadcast, providerEvents, register } from "../support/reports.js"

const refused = (message: string) => ({ status: 400, body: { error: "BadRequest", message } })

const Entry = Schema.Struct({ id: Schema.Number, actor: Schema.String, action: Schema.String, subject: Schema.String, createdAt: Schema.String }, { key: Schema.String, value: Schema.Unknown })
const Page = Schema.Struct({ items: Schema.Array(Entry), nextCursor: Schema.NullOr(Schema.String) })
type Entry = typeof Entry.Type
const pageOf = (reply: { readonly status: number; readonly body: unknown }) => {
  expect(reply).toMatchObject({ status: 200 })
  return Schema.decodeUnknownSync(Page)(reply.body)
}

const auditOf = (org: string, query = "") =>
  Effect.gen(function* () {
    const items: Array<Entry> = []
    let cursor: string | null = null
    do {
      const page = pageOf(yield* call(org, `/audit?limit=1${query}${cursor === null ? "" : `&cursor=${cursor}`}`))
      items.push(...page.items)
      cursor = page.nextCursor
    } while (cursor !== null)
    return items
  })

/** Audited writes of every kind: additions and a lift by API, an import, and unsubscribes the pipeline applies in one batch. */
const auditedWrites = (org: string) =>
  Effect.gen(function* () {
    const suppress = (json: Record<string, unknown>) => call(org, "/suppressions", { json, subject: "support-7" })
    expect(yield* suppress({ channel: "email", address: "Ada@Example.com", note: "asked by phone" })).toMatchObject({ status: 201 })
    expect(yield* suppress({ channel: "sms", address: "+15550100" })).toMatchObject({ status: 201 })
    expect(yield* call(org, "/suppressions/email/ada%40example.com", { method: "DELETE", json: { reason: "mailbox fixed" }, subject: "support-7" }))
      .toMatchObject({ status: 200 })
    expect(yield* call(org, "/contacts/import", { text: "email\ngrace@example.com\n", headers: { "content-type": "text/csv" } })).toMatchObject({ status: 200 })
    const id = yield* createBroadcast(org)
    const rows = [0, 1, 2].map((i) => ({ recipient: `u${i}@example.com`, providerMessageId: `${id}-${i}` }))
    yield* register(org, id, rows)
    yield* providerEvents(org, rows.map((row) => ({ messageId: row.providerMessageId, recipient: row.recipient, type: "unsubscribed", at: "2026-03-01T10:02:00Z" })))
  })

layer(contactsService, { excludeTestServices: true })("the org's audit log", (it) => {
  it.effect("the log lists the org's entries newest first, pages them without loss or repeat, and filters by subject, action and time", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      yield* auditedWrites(org)
      yield* call(unique("org-"), "/suppressions", { json: { channel: "email", address: "ada@example.com" } })

      const whole = pageOf(yield* call(org, "/audit"))
      expect(whole.nextCursor).toBeNull()
      expect(whole.items.map((e) => [e.action, e.subject])).toEqual([
        ...whole.items.slice(0, 3).map((e) => ["contact.unsubscribed", e.subject]),
        ["contacts.imported", "contacts"],
        ["suppression.lifted", "email:ada@example.com"],
        ["suppression.added", "sms:+15550100"],
        ["suppression.added", "email:ada@example.com"]
      ])
      expect(whole.items.slice(0, 3).map((e) => e.subject).sort()).toEqual(["email:u0@example.com", "email:u1@example.com", "email:u2@example.com"])
      // Newest first. Ties are broken by the time in microseconds, then the id: milliseconds cannot show it.
      expect(whole.items.map((e) => e.createdAt)).toEqual(whole.items.map((e) => e.createdAt).sort().reverse())
      expect(whole.items[6]).toEqual({
        id: expect.any(Number), actor: "support-7", action: "suppression.added", subject: "email:ada@example.com",
        details: { reason: "admin", category: null, note: "asked by phone" }, createdAt: expect.stringMatching(/^\d{4}-.+Z$/)
      })
      expect(whole.items[0]).toMatchObject({ actor: "provider:generic" })

      // One entry a page: the unsubscribes share their batch's time, so the id decides within it.
      expect(yield* auditOf(org)).toEqual(whole.items)
      expect((yield* auditOf(org, "&subject=Email:ADA@example.com")).map((e) => e.action)).toEqual(["suppression.lifted", "suppression.added"])
      expect((yield* auditOf(org, "&action=suppression.added")).map((e) => e.subject)).toEqual(["sms:+15550100", "email:ada@example.com"])
      expect((yield* auditOf(org, "&action=suppression.added&subject=sms:%2B15550100")).map((e) => e.id)).toEqual([whole.items[5]!.id])
      expect(yield* auditOf(org, "&action=suppression.unknown")).toEqual([])
      const [lifted, smsAdded] = [whole.items[4]!, whole.items[5]!]
      expect((yield* auditOf(org, `&from=${smsAdded.createdAt}&to=${lifted.createdAt}`)).map((e) => e.id)).toEqual([smsAdded.id])
      expect((yield* auditOf(org, `&from=${lifted.createdAt}`)).map((e) => e.id)).toEqual(whole.items.slice(0, 5).map((e) => e.id))
      expect((yield* auditOf(org, `&to=${lifted.createdAt}`)).map((e) => e.id)).toEqual(whole.items.slice(5).map((e) => e.id))
    }))

  it.effect("bad filters and cursors are 400s naming them; another org's entries are never listed", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      yield* auditedWrites(org)
      expect(yield* call(org, "/audit?from=soon")).toEqual(refused("from: expected an ISO 8601 date or time"))
      expect(yield* call(org, "/audit?to=2026-13-45")).toEqual(refused("to: expected an ISO 8601 date or time"))
      expect(yield* call(org, "/audit?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z")).toEqual(refused("to: must not be before from"))
      expect(yield* call(org, "/audit?action=Suppression%20Added")).toEqual(refused("action: expected an action such as suppression.added"))
      expect(yield* call(org, "/audit?subject=email:a%20b")).toEqual(refused("subject: expected a subject such as email:ada@example.com (no spaces)"))
      expect(yield* call(org, "/audit?limit=0")).toEqual(refused("limit: expected a whole number from 1 to 1000"))
      expect(yield* call(org, "/audit?cursor=bm9wZQ")).toEqual(refused("cursor: not one this listing issued"))

      // Well-formed cursors issued for another filter, another org, another listing.
      const cursorOf = (reply: { readonly status: number; readonly body: unknown }) => pageOf(reply).nextCursor ?? ""
      const added = cursorOf(yield* call(org, "/audit?limit=1&action=suppression.added"))
      expect(pageOf(yield* call(org, `/audit?limit=1&action=suppression.added&cursor=${added}`)).items).toHaveLength(1)
      expect(yield* call(org, `/audit?limit=1&cursor=${added}`)).toEqual(refused("cursor: not one this listing issued"))
      expect(yield* call(org, `/audit?limit=1&action=suppression.lifted&cursor=${added}`)).toEqual(refused("cursor: not one this listing issued"))
      expect(yield* call(org, `/audit?limit=1&action=suppression.added&from=2000-01-01T00:00:00Z&cursor=${added}`)).toEqual(refused("cursor: not one this listing issued"))
      const stranger = unique("org-")
      expect(yield* call(stranger, `/audit?limit=1&action=suppression.added&cursor=${added}`)).toEqual(refused("cursor: not one this listing issued"))
      expect(yield* call(org, `/audit?cursor=${activityCursor.encode({ micros: "1", id: 1 })}`)).toEqual(refused("cursor: not one this listing issued"))
      expect(yield* call(org, `/broadcast?cursor=${added}`)).toEqual(refused("cursor: not one this listing issued"))

      expect(yield* call(stranger, "/audit")).toEqual({ status: 200, body: { items: [], nextCursor: null } })
      expect(yield* call(org, "/audit", { authorized: false })).toMatchObject({ status: 401, body: { error: "Unauthorized" } })
      expect(yield* call(org, "/audit", { tokenOrg: stranger })).toMatchObject({ status: 403, body: { error: "Forbidden" } })
    }))
})
