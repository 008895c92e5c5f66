import { expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { Pipeline } from "../../src/ingest/Pipeline.js"
import { call, contactsService } from "../support/contactsApi.js"
import { createConnection, genericOtherSecret, genericRequest, post, unique } from "../support/providerRoutes.js"

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
