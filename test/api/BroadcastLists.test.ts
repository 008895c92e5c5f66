import { expect, layer } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { call, contactsService } from "../support/contactsApi.js"
import { unique } from "../support/providerRoutes.js"
import { createBroadcast, providerEvents, register } from "../support/reports.js"

const refused = (message: string) => ({ status: 400, body: { error: "BadRequest", message } })

const Page = Schema.Struct({
  items: Schema.Array(Schema.Struct({}, { key: Schema.String, value: Schema.Unknown })),
  nextCursor: Schema.NullOr(Schema.String)
})
const pageOf = (reply: { readonly status: number; readonly body: unknown }) => {
  expect(reply).toMatchObject({ status: 200 })
  return Schema.decodeUnknownSync(Page)(reply.body)
}

/** Every item of a listing, following nextCursor from `path` (which has its other parameters). */
const everyPage = (org: string, path: string) =>
  Effect.gen(function* () {
    const items: Array<Record<string, unknown>> = []
    let cursor: string | null = null
    let pages = 0
    do {
      const page = pageOf(yield* call(org, `${path}${cursor === null ? "" : `&cursor=${cursor}`}`))
      items.push(...page.items)
      cursor = page.nextCursor
      pages++
    } while (cursor !== null)
    return { items, pages }
  })

const retryList = (org: string, id: string) =>
  Effect.map(call(org, `/broadcast/${id}/retry-list`, { json: { statuses: ["failed", "bounced"] } }), (reply) => {
    expect(reply.status).toBe(201)
    return Schema.decodeUnknownSync(Schema.Struct({ broadcast: Schema.Struct({ id: Schema.String }) }))(reply.body).broadcast.id
  })

layer(contactsService, { excludeTestServices: true })("reading broadcasts and their recipient lists back", (it) => {
  it.effect("a broadcast's list pages by channel and address, filters by channel and status, and shows who was taken off it and why", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const id = yield* createBroadcast(org)
      yield* register(org, id, [
        { recipient: "carol@example.com", providerMessageId: "m-3" },
        { recipient: "ada@example.com", providerMessageId: "m-1", contactId: "c-ada" },
        { recipient: "bob@example.com", providerMessageId: "m-2" },
        { recipient: "+15550001111", channel: "sms", providerMessageId: "SM1" }
      ])
      yield* providerEvents(org, [{ messageId: "m-2", recipient: "bob@example.com", type: "unsubscribed", at: "2026-03-01T10:02:00Z" }])

      const all = yield* everyPage(org, `/broadcast/${id}/recipients?pageSize=2`)
      expect(all.pages).toBe(2)
      expect(all.items).toEqual([
        { channel: "email", address: "ada@example.com", contactId: "c-ada", status: "listed", removedAt: null, removedReason: null },
        { channel: "email", address: "bob@example.com", contactId: null, status: "removed", removedAt: expect.stringMatching(/^\d{4}-.+Z$/), removedReason: "unsubscribed" },
        { channel: "email", address: "carol@example.com", contactId: null, status: "listed", removedAt: null, removedReason: null },
        { channel: "sms", address: "+15550001111", contactId: null, status: "listed", removedAt: null, removedReason: null }
      ])
      const listedEmail = yield* everyPage(org, `/broadcast/${id}/recipients?channel=email&status=listed&pageSize=1`)
      expect(listedEmail.items.map((r) => r.address)).toEqual(["ada@example.com", "carol@example.com"])
      const removed = pageOf(yield* call(org, `/broadcast/${id}/recipients?status=removed`))
      expect(removed).toEqual({ items: [all.items[1]], nextCursor: null })
      const sms = pageOf(yield* call(org, `/broadcast/${id}/recipients?channel=sms`))
      expect(sms.items.map((r) => r.address)).toEqual(["+15550001111"])
    }))

  it.effect("a retry list, which has no deliveries yet, is read back like any list", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const id = yield* createBroadcast(org)
      yield* register(org, id, [
        { recipient: "failed@example.com", providerMessageId: "m-1" },
        { recipient: "fine@example.com", providerMessageId: "m-2" },
        { recipient: "+15550002222", channel: "sms", providerMessageId: "SM2" }
      ])
      yield* providerEvents(org, [
        { messageId: "m-1", recipient: "failed@example.com", type: "failed", at: "2026-03-01T10:01:00Z" },
        { messageId: "m-2", recipient: "fine@example.com", type: "delivered", at: "2026-03-01T10:01:00Z" },
        { messageId: "SM2", recipient: "+15550002222", channel: "sms", type: "failed", at: "2026-03-01T10:01:00Z" }
      ])
      const retryId = yield* retryList(org, id)
      const page = pageOf(yield* call(org, `/broadcast/${retryId}/recipients`))
      expect(page).toEqual({
        items: [
          { channel: "email", address: "failed@example.com", contactId: null, status: "listed", removedAt: null, removedReason: null },
          { channel: "sms", address: "+15550002222", contactId: null, status: "listed", removedAt: null, removedReason: null }
        ],
        nextCursor: null
      })
      const csv = yield* call(org, `/broadcast/${retryId}/recipients.csv?channel=sms`)
      expect(csv).toEqual({
        status: 200,
        body: `broadcastId,channel,address,contactId,status,removedAt,removedReason\r\n${retryId},sms,'+15550002222,,listed,,\r\n`
      })
    }))

  it.effect("the CSV has the page's rows, RFC 4180 quoted and inert to spreadsheets, filtered the same way", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const id = yield* createBroadcast(org)
      yield* register(org, id, [
        { recipient: "ada@example.com", providerMessageId: "m-1", contactId: "=HYPERLINK(\"x\",\"y\")" },
        { recipient: "bob@example.com", providerMessageId: "m-2" }
      ])
      yield* providerEvents(org, [{ messageId: "m-2", recipient: "bob@example.com", type: "unsubscribed", at: "2026-03-01T10:02:00Z" }])
      const reply = yield* call(org, `/broadcast/${id}/recipients.csv`)
      expect(reply.status).toBe(200)
      const lines = String(reply.body).split("\r\n")
      expect(lines[0]).toBe("broadcastId,channel,address,contactId,status,removedAt,removedReason")
      expect(lines[1]).toBe(`${id},email,ada@example.com,"'=HYPERLINK(""x"",""y"")",listed,,`)
      expect(lines[2]).toMatch(new RegExp(`^${id},email,bob@example.com,,removed,\\d{4}-[^,]+Z,unsubscribed$`))
      expect(lines.slice(3)).toEqual([""])
      const listed = yield* call(org, `/broadcast/${id}/recipients.csv?status=listed`)
      expect(String(listed.body).split("\r\n").slice(1)).toEqual([lines[1], ""])
    }))

  it.effect("bad filters and cursors are 400s naming them; another org's broadcast is a 404", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const id = yield* createBroadcast(org)
      const other = yield* createBroadcast(org)
      yield* register(org, id, [{ recipient: "a@example.com", providerMessageId: "m-1" }, { recipient: "b@example.com", providerMessageId: "m-2" }])
      yield* register(org, other, [{ recipient: "a@example.com", providerMessageId: "m-3" }, { recipient: "b@example.com", providerMessageId: "m-4" }])
      const path = `/broadcast/${id}/recipients`
      expect(yield* call(org, `${path}?status=lost`)).toEqual(refused("status: 'lost' is not a list status; expected listed, removed"))
      expect(yield* call(org, `${path}.csv?status=lost`)).toEqual(refused("status: 'lost' is not a list status; expected listed, removed"))
      expect(yield* call(org, `${path}?channel=fax`)).toEqual(refused("channel: 'fax' is not a channel; expected email, sms, whatsapp, push, telegram, in_app"))
      expect(yield* call(org, `${path}?pageSize=0`)).toEqual(refused("pageSize: expected a whole number from 1 to 1000"))
      expect(yield* call(org, `${path}?cursor=bm9wZQ`)).toEqual(refused("cursor: not one this listing issued"))

      // Well-formed cursors, issued for another filter, another broadcast's list and another listing.
      const cursorOf = (reply: { readonly status: number; readonly body: unknown }) => pageOf(reply).nextCursor ?? ""
      const listed = cursorOf(yield* call(org, `${path}?pageSize=1&status=listed`))
      const ofOther = cursorOf(yield* call(org, `/broadcast/${other}/recipients?pageSize=1`))
      const ofReport = cursorOf(yield* call(org, `/broadcast/${id}/report?pageSize=1`))
      expect(pageOf(yield* call(org, `${path}?pageSize=1&status=listed&cursor=${listed}`)).items).toHaveLength(1)
      expect(yield* call(org, `${path}?pageSize=1&cursor=${listed}`)).toEqual(refused("cursor: not one this listing issued"))
      expect(yield* call(org, `${path}?pageSize=1&status=listed&channel=email&cursor=${listed}`)).toEqual(refused("cursor: not one this listing issued"))
      expect(yield* call(org, `${path}?pageSize=1&cursor=${ofOther}`)).toEqual(refused("cursor: not one this listing issued"))
      expect(yield* call(org, `${path}?pageSize=1&cursor=${ofReport}`)).toEqual(refused("cursor: not one this listing issued"))
      expect(yield* call(org, `/broadcast?cursor=${listed}`)).toEqual(refused("cursor: not one this listing issued"))

      const intruder = unique("org-")
      expect(yield* call(intruder, path)).toEqual({ status: 404, body: { error: "NotFound", message: `no broadcast '${id}'` } })
      expect(yield* call(intruder, `${path}.csv`)).toEqual({ status: 404, body: { error: "NotFound", message: `no broadcast '${id}'` } })
      expect(yield* call(org, "/broadcast/b_nope/recipients")).toMatchObject({ status: 404, body: { error: "NotFound" } })
      expect(yield* call(org, path, { authorized: false })).toMatchObject({ status: 401, body: { error: "Unauthorized" } })
      expect(yield* call(org, "/broadcast", { tokenOrg: intruder })).toMatchObject({ status: 403, body: { error: "Forbidden" } })
    }))

  it.effect("the org's broadcasts list newest first with their counters, paged, and never another org's", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const ids: Array<string> = []
      for (let i = 0; i < 5; i++) ids.push(yield* createBroadcast(org))
      yield* register(org, ids[1]!, [{ recipient: "ada@example.com", providerMessageId: "m-1" }, { recipient: "bob@example.com", providerMessageId: "m-2" }])
      yield* providerEvents(org, [{ messageId: "m-1", recipient: "ada@example.com", type: "delivered", at: "2026-03-01T10:01:00Z" }])
      const retryId = yield* retryList(org, ids[0]!)
      yield* createBroadcast(unique("org-"))

      const listed = yield* everyPage(org, "/broadcast?limit=2")
      expect(listed.pages).toBe(3)
      // Newest first; broadcasts created within one millisecond come in id order, descending.
      const key = (b: Record<string, unknown>) => `${String(b["createdAt"])} ${String(b["id"])}`
      expect(listed.items).toEqual([...listed.items].sort((a, b) => key(b).localeCompare(key(a))))
      expect(listed.items.map((b) => b["id"]).sort()).toEqual([retryId, ...ids].sort())
      expect(listed.items[0]?.["id"]).toBe(retryId)
      expect(listed.items[0]).toEqual({
        id: retryId, orgId: org, name: "Launch (retry)", category: "marketing", channels: ["email", "sms"], retryOf: ids[0],
        createdAt: expect.any(String), counters: null
      })
      expect(listed.items.find((b) => b["id"] === ids[1])).toMatchObject({ retryOf: null, counters: { sent: 2, delivered: 1, bounced: 0 } })
      expect(pageOf(yield* call(unique("org-"), "/broadcast"))).toEqual({ items: [], nextCursor: null })
      expect(yield* call(org, "/broadcast?limit=1001")).toEqual(refused("limit: expected a whole number from 1 to 1000"))
    }))
})
