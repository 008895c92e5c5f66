import { expect, layer } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { call, contactsService } from "../support/contactsApi.js"
import { unique } from "../support/providerRoutes.js"
import { createBroadcast, providerEvents, register } from "../support/reports.js"

const Feed = Schema.Struct({
  items: Schema.Array(Schema.Struct({ recipient: Schema.String, type: Schema.String, at: Schema.String, providerMessageId: Schema.NullOr(Schema.String) })),
  nextCursor: Schema.NullOr(Schema.String)
})
const feedOf = (reply: { readonly status: number; readonly body: unknown }) => {
  expect(reply.status).toBe(200)
  return Schema.decodeUnknownSync(Feed)(reply.body)
}

/** Two broadcasts of one org with five provider events between them, a minute apart, after three rows registered as sent (now). */
const seed = (org: string) =>
  Effect.gen(function* () {
    const first = yield* createBroadcast(org)
    const second = yield* createBroadcast(org)
    yield* register(org, first, [{ recipient: "ada@example.com", providerMessageId: "m-1" }, { recipient: "bob@example.com", providerMessageId: "m-2" }])
    yield* register(org, second, [{ recipient: "ada@example.com", providerMessageId: "m-3" }])
    yield* providerEvents(org, [
      { messageId: "m-1", recipient: "ada@example.com", type: "delivered", at: "2026-03-01T10:01:00Z" },
      { messageId: "m-2", recipient: "bob@example.com", type: "delivered", at: "2026-03-01T10:02:00Z" },
      { messageId: "m-1", recipient: "ada@example.com", type: "opened", at: "2026-03-01T10:03:00Z" },
      { messageId: "m-3", recipient: "ada@example.com", type: "delivered", at: "2026-03-02T10:04:00Z" },
      { messageId: "m-2", recipient: "bob@example.com", type: "bounced", at: "2026-03-02T10:05:00Z", data: { bounceKind: "hard" } }
    ])
    return { first, second }
  })

layer(contactsService, { excludeTestServices: true })("the activity feed", (it) => {
  it.effect("lists the org's events across broadcasts newest first, with their delivery's fields, and /broadcast/activity is not a broadcast id", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const { first, second } = yield* seed(org)
      yield* seed(unique("org-"))
      const reply = yield* call(org, "/broadcast/activity")
      expect(reply.status).toBe(200)
      const feed = feedOf(reply)
      expect(feed.nextCursor).toBeNull()
      expect(feed.items.map((i) => [i.providerMessageId, i.type])).toEqual([
        ["m-3", "sent"], ["m-2", "sent"], ["m-1", "sent"], ["m-2", "bounced"], ["m-3", "delivered"], ["m-1", "opened"], ["m-2", "delivered"], ["m-1", "delivered"]
      ])
      expect((reply.body as { items: ReadonlyArray<unknown> }).items[3]).toEqual({
        broadcastId: first, recipient: "bob@example.com", channel: "email", providerMessageId: "m-2", type: "bounced",
        provider: "generic", providerEventName: "bounced", at: "2026-03-02T10:05:00.000Z", details: { bounceKind: "hard" }
      })
      expect((reply.body as { items: ReadonlyArray<unknown> }).items[4]).toMatchObject({ broadcastId: second })
    }))

  it.effect("filters by dates, event and recipient, and pages by cursor without loss or repeats", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      yield* seed(org)
      const day = feedOf(yield* call(org, "/broadcast/activity?startDate=2026-03-01T00:00:00Z&endDate=2026-03-02T00:00:00Z"))
      expect(day.items.map((i) => i.at)).toEqual(["2026-03-01T10:03:00.000Z", "2026-03-01T10:02:00.000Z", "2026-03-01T10:01:00.000Z"])
      expect(feedOf(yield* call(org, "/broadcast/activity?event=delivered&recipient=ADA@example.com")).items.map((i) => i.providerMessageId)).toEqual(["m-3", "m-1"])
      const seen: Array<string> = []
      let cursor: string | null = null
      do {
        const page = feedOf(yield* call(org, `/broadcast/activity?limit=2${cursor === null ? "" : `&cursor=${cursor}`}`))
        expect(page.items.length).toBeLessThanOrEqual(2)
        // Rows registered in one call share their `sent` time: an item is its time, message and type.
        seen.push(...page.items.map((i) => `${i.at}|${i.providerMessageId}|${i.type}`))
        cursor = page.nextCursor
      } while (cursor !== null)
      expect(seen).toHaveLength(8)
      expect(new Set(seen).size).toBe(8)
      expect(yield* call(org, "/broadcast/activity?limit=1001")).toMatchObject({ status: 400, body: { error: "BadRequest", message: expect.stringMatching(/^limit: /) } })
      expect(yield* call(org, "/broadcast/activity?startDate=yesterday")).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^startDate: /) } })
      expect(yield* call(org, "/broadcast/activity?event=lost")).toMatchObject({ status: 400, body: { error: "BadRequest", message: expect.stringMatching(/^event/) } })
      expect(yield* call(org, "/broadcast/activity?cursor=ZDox")).toMatchObject({ status: 400, body: { message: "cursor: not one this listing issued" } })
      expect(yield* call(org, "/broadcast/activity", { authorized: false })).toMatchObject({ status: 401 })
    }))

  it.effect("one message shows its delivery rows and the whole provider event log; unknown or another org's is a 404", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const { first } = yield* seed(org)
      const reply = yield* call(org, "/broadcast/activity/m-1")
      expect(reply).toEqual({
        status: 200,
        body: {
          messageId: "m-1",
          deliveries: [{
            broadcastId: first, recipient: "ada@example.com", contactId: null, channel: "email", status: "opened", providerMessageId: "m-1",
            events: [{ type: "delivered", at: "2026-03-01T10:01:00.000Z" }, { type: "opened", at: "2026-03-01T10:03:00.000Z" }, { type: "sent", at: expect.any(String) }]
          }],
          events: [
            { recipient: "ada@example.com", type: "delivered", provider: "generic", providerEventName: "delivered", providerEventId: expect.any(String), at: "2026-03-01T10:01:00.000Z", receivedAt: expect.any(String), details: {} },
            { recipient: "ada@example.com", type: "opened", provider: "generic", providerEventName: "opened", providerEventId: expect.any(String), at: "2026-03-01T10:03:00.000Z", receivedAt: expect.any(String), details: {} },
            { recipient: "ada@example.com", type: "sent", provider: "sendtrail", providerEventName: "registered", providerEventId: expect.stringMatching(/^registration:\d+$/), at: expect.any(String), receivedAt: expect.any(String), details: {} }
          ]
        }
      })
      expect(yield* call(org, "/broadcast/activity/nope")).toEqual({ status: 404, body: { error: "NotFound", message: "no message 'nope'" } })
      expect(yield* call(unique("org-"), "/broadcast/activity/m-1")).toMatchObject({ status: 404, body: { error: "NotFound" } })
    }))
})
