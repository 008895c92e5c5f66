import { expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { call, contactsService } from "../support/contactsApi.js"
import { unique } from "../support/providerRoutes.js"
import { freshEvents as providerEvents } from "../support/reports.js"

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
      yield* providerEvents(org, [
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
