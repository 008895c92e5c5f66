import { expect, layer } from "@effect/vitest"
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Option, Schema } from "effect"
import { contactKey } from "../../src/domain/Projection.js"
import { Pipeline } from "../../src/ingest/Pipeline.js"
import { vendorNames } from "../../src/providers/Registry.js"
import { bucketOf } from "../../src/storage/KeyOwnership.js"
import { call, contactsService } from "../support/contactsApi.js"
import type { Reply } from "../support/providerRoutes.js"
import { adminKey, appliedDelivery, createConnection, genericDefaultSecret, genericOtherSecret, genericRequest, post, unique } from "../support/providerRoutes.js"
import { createBroadcast, register } from "../support/reports.js"
import { baseUrl } from "../support/server.js"

const admin = `Bearer ${adminKey}`

const get = (path: string, authorization?: string) =>
  Effect.flatMap(baseUrl, (base) =>
    Effect.promise(async (): Promise<Reply> => {
      const response = await fetch(`${base}${path}`, authorization === undefined ? {} : { headers: { authorization } })
      const text = await response.text()
      try {
        return { status: response.status, body: JSON.parse(text) as unknown }
      } catch {
        return { status: response.status, body: text }
      }
    }))

/** Generic events on the route that names no org (the default org's secret), applied before returning. */
const postOrgless = (events: ReadonlyArray<{ readonly messageId: string; readonly recipient: string; readonly type: string }>) =>
  Effect.gen(function* () {
    const body = events.map((e) => ({ id: unique("evt-"), type: e.type, timestamp: new Date().toISOString(), messageId: e.messageId, recipient: e.recipient, data: {} }))
    expect(yield* post("/connect/webhook/generic", genericRequest(genericDefaultSecret, body))).toEqual({ status: 200, body: { accepted: events.length, duplicates: 0 } })
    yield* (yield* Pipeline).drain
    return body.map((e) => e.id)
  })

const Report = Schema.Struct({
  items: Schema.Array(Schema.Struct({ status: Schema.String, providerMessageId: Schema.String, events: Schema.Array(Schema.Struct({ type: Schema.String })) }))
})
/** The statuses and event types of the org's broadcast report, as the org reads it. */
const report = (org: string, broadcast: string) =>
  Effect.map(call(org, `/broadcast/${broadcast}/report`), (reply) => {
    expect(reply.status).toBe(200)
    return Schema.decodeUnknownSync(Report)(reply.body).items.map((i) => ({ status: i.status, events: i.events.map((e) => e.type).sort() }))
  })

const Page = Schema.Struct({ items: Schema.Array(Schema.Struct({ providerMessageId: Schema.String }, { key: Schema.String, value: Schema.Unknown })), nextCursor: Schema.NullOr(Schema.String) })
const unmatchedPage = (query: string) =>
  Effect.map(get(`/admin/unmatched?${query}`, admin), (reply) => {
    expect(reply.status).toBe(200)
    return Schema.decodeUnknownSync(Page)(reply.body)
  })

/** The value of `sendtrail_unmatched_events_total` for the generic provider and the reason (0 before the first). */
const unmatchedCount = (reason: string) =>
  Effect.map(get("/metrics", admin), (reply) => {
    const series = `sendtrail_unmatched_events_total{provider="generic",reason="${reason}"} `
    const line = String(reply.body).split("\n").find((l) => l.startsWith(series))
    return line === undefined ? 0 : Number(line.slice(series.length))
  })

/** An org with a broadcast whose send to the recipient, under the message id, is registered as sent. */
const registeredBy = (messageId: string, recipient: string) =>
  Effect.gen(function* () {
    const org = unique("org-")
    const broadcast = yield* createBroadcast(org)
    yield* register(org, broadcast, [{ recipient, providerMessageId: messageId }])
    return { org, broadcast }
  })

const inDefault = (messageId: string, recipient: string) =>
  Effect.map(appliedDelivery({ orgId: "default", provider: "generic", providerMessageId: messageId, recipient }), Option.map((d) => d.status))

layer(contactsService, { excludeTestServices: true })("events on routes that name no org", (it) => {
  it.effect("an event whose message id one org registered is that org's: its report shows it, the default org has no row, the inbox row is re-homed", () =>
    Effect.gen(function* () {
      const messageId = unique("msg-")
      const { org, broadcast } = yield* registeredBy(messageId, "ada@example.com")
      const unmatchedBefore = yield* unmatchedCount("no-delivery")
      const [delivered, opened] = yield* postOrgless([
        { messageId, recipient: "ada@example.com", type: "delivered" }, { messageId, recipient: "Ada@Example.com", type: "opened" }
      ])
      expect(yield* report(org, broadcast)).toEqual([{ status: "opened", events: ["delivered", "opened", "sent"] }])
      expect(yield* inDefault(messageId, "ada@example.com")).toEqual(Option.none())
      expect(yield* unmatchedCount("no-delivery")).toBe(unmatchedBefore)
      expect((yield* unmatchedPage("provider=generic")).items.filter((i) => i.providerMessageId === messageId)).toEqual([])
      // Rewritten to the org and to the owner bucket of the org's key for the address, as if it had named the org.
      const sql = yield* SqlClient.SqlClient
      const rows = yield* sql`SELECT org_id, bucket, org_match, event->>'orgId' AS event_org FROM ingest_inbox
        WHERE provider = 'generic' AND provider_event_id IN (${delivered!}, ${opened!}) ORDER BY provider_event_id = ${delivered!} DESC`
      const bucket = bucketOf(contactKey({ orgId: org, channel: "email", recipient: "ada@example.com" }))
      expect(rows).toEqual([delivered, opened].map(() => ({ org_id: org, bucket, org_match: "matched", event_org: org })))
    }))

  it.effect("an event on a route that names its org is that org's even when another org registered the message id", () =>
    Effect.gen(function* () {
      const messageId = unique("msg-")
      const { org, broadcast } = yield* registeredBy(messageId, "eve@example.com")
      const other = unique("org-")
      const connection = yield* createConnection(other, "generic", { secret: genericOtherSecret })
      const body = [{ id: unique("evt-"), type: "delivered", timestamp: new Date().toISOString(), messageId, recipient: "eve@example.com", data: {} }]
      expect((yield* post(`/connect/webhook/generic/${connection}`, genericRequest(genericOtherSecret, body))).status).toBe(200)
      const row = yield* appliedDelivery({ orgId: other, provider: "generic", providerMessageId: messageId, recipient: "eve@example.com" })
      expect(Option.map(row, (d) => d.status)).toEqual(Option.some("delivered"))
      expect(yield* report(org, broadcast)).toEqual([{ status: "sent", events: ["sent"] }])
    }))

  it.effect("an event no other org registered stays the default org's, is counted in /metrics and listed in /admin/unmatched", () =>
    Effect.gen(function* () {
      const messageId = unique("msg-")
      const before = yield* unmatchedCount("no-delivery")
      const [id] = yield* postOrgless([{ messageId, recipient: "grace@example.com", type: "delivered" }])
      expect(yield* inDefault(messageId, "grace@example.com")).toEqual(Option.some("delivered"))
      expect(yield* unmatchedCount("no-delivery")).toBe(before + 1)
      const listed = (yield* unmatchedPage("provider=generic&reason=no-delivery")).items.filter((i) => i.providerMessageId === messageId)
      expect(listed).toEqual([{
        id: expect.any(Number), reason: "no-delivery", candidateOrgs: [], orgId: "default", provider: "generic", providerEventId: id,
        providerMessageId: messageId, recipient: "grace@example.com", channel: "email", type: "delivered",
        occurredAt: expect.any(String), receivedAt: expect.any(String)
      }])
    }))

  it.effect("a message id two orgs registered is ambiguous: neither gets the event, the default org does, and the listing names both", () =>
    Effect.gen(function* () {
      const messageId = unique("msg-")
      const first = yield* registeredBy(messageId, "lin@example.com")
      const second = yield* registeredBy(messageId, "lin@example.com")
      const before = yield* unmatchedCount("ambiguous")
      yield* postOrgless([{ messageId, recipient: "lin@example.com", type: "bounced" }])
      expect(yield* report(first.org, first.broadcast)).toEqual([{ status: "sent", events: ["sent"] }])
      expect(yield* report(second.org, second.broadcast)).toEqual([{ status: "sent", events: ["sent"] }])
      expect(yield* inDefault(messageId, "lin@example.com")).toEqual(Option.some("bounced"))
      expect(yield* unmatchedCount("ambiguous")).toBe(before + 1)
      const listed = (yield* unmatchedPage("reason=ambiguous")).items.filter((i) => i.providerMessageId === messageId)
      expect(listed).toMatchObject([{ reason: "ambiguous", candidateOrgs: [first.org, second.org].sort(), orgId: "default", type: "bounced" }])
    }))

  it.effect("an event that comes before its send is registered stays the default org's; the message's later events are the registering org's", () =>
    Effect.gen(function* () {
      const messageId = unique("msg-")
      yield* postOrgless([{ messageId, recipient: "kim@example.com", type: "delivered" }])
      const { org, broadcast } = yield* registeredBy(messageId, "kim@example.com")
      yield* postOrgless([{ messageId, recipient: "kim@example.com", type: "opened" }])
      expect(yield* report(org, broadcast)).toEqual([{ status: "opened", events: ["opened", "sent"] }])
      expect(yield* inDefault(messageId, "kim@example.com")).toEqual(Option.some("delivered"))
      const listed = (yield* unmatchedPage("provider=generic")).items.filter((i) => i.providerMessageId === messageId)
      expect(listed).toMatchObject([{ reason: "no-delivery", type: "delivered" }])
    }))

  it.effect("the listing pages newest first with a cursor bound to its filter; bad input is a 400 naming it; no admin key is a 401", () =>
    Effect.gen(function* () {
      const from = new Date(Date.now() - 1).toISOString()
      const messages = [unique("page-"), unique("page-"), unique("page-")]
      for (const messageId of messages) yield* postOrgless([{ messageId, recipient: "page@example.com", type: "delivered" }])
      const query = `provider=generic&from=${encodeURIComponent(from)}`
      const first = yield* unmatchedPage(`${query}&limit=2`)
      expect(first.items.map((i) => i.providerMessageId)).toEqual([messages[2], messages[1]])
      expect(first.nextCursor).not.toBeNull()
      const second = yield* unmatchedPage(`${query}&limit=2&cursor=${first.nextCursor}`)
      expect(second).toEqual({ items: [expect.objectContaining({ providerMessageId: messages[0] })], nextCursor: null })
      expect(yield* unmatchedPage(`${query}&to=${encodeURIComponent(from)}`)).toEqual({ items: [], nextCursor: null })

      const refused = (path: string, field: string) =>
        Effect.map(get(path, admin), (reply) => expect(reply).toMatchObject({ status: 400, body: { error: "BadRequest", message: expect.stringMatching(new RegExp(`^${field}`)) } }))
      // A cursor of another filter would page these rows from a position in others'.
      yield* refused(`/admin/unmatched?provider=generic&reason=ambiguous&cursor=${first.nextCursor}`, "cursor: not one this listing issued")
      yield* refused("/admin/unmatched?cursor=bm9wZQ", "cursor: not one this listing issued")
      yield* refused("/admin/unmatched?cursor=***", "cursor")
      yield* refused("/admin/unmatched?provider=fax", "provider")
      yield* refused("/admin/unmatched?reason=lost", "reason")
      yield* refused("/admin/unmatched?from=yesterday", "from")
      yield* refused(`/admin/unmatched?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z`, "to: must not be before from")
      yield* refused("/admin/unmatched?limit=0", "limit")
      expect(yield* get("/admin/unmatched")).toMatchObject({ status: 401, body: { error: "Unauthorized" } })
      expect(yield* get("/admin/unmatched", `Bearer ${adminKey}x`)).toMatchObject({ status: 401, body: { error: "Unauthorized" } })
    }))

  it.effect("/openapi.json describes GET /admin/unmatched: the admin scheme, typed filters and the page", () =>
    Effect.gen(function* () {
      const reply = yield* get("/openapi.json")
      const OpenApiDoc = Schema.Struct({ paths: Schema.Record({ key: Schema.String, value: Schema.Record({ key: Schema.String, value: Schema.Unknown }) }) })
      const operation = Schema.decodeUnknownSync(OpenApiDoc)(reply.body).paths["/admin/unmatched"]?.get
      expect(operation).toMatchObject({
        security: [{ bearer: [] }],
        responses: { 200: expect.anything(), 400: expect.anything(), 401: expect.anything() }
      })
      const { parameters } = Schema.decodeUnknownSync(Schema.Struct({
        parameters: Schema.Array(Schema.Struct({ name: Schema.String, schema: Schema.Unknown }, { key: Schema.String, value: Schema.Unknown }))
      }))(operation)
      const schemaOf = (name: string) => parameters.find((p) => p.name === name)?.schema
      expect(schemaOf("provider")).toMatchObject({ enum: [...vendorNames] })
      expect(schemaOf("reason")).toMatchObject({ enum: ["no-delivery", "ambiguous"] })
      expect(schemaOf("from")).toMatchObject({ format: "date-time" })
      expect(schemaOf("to")).toMatchObject({ format: "date-time" })
      expect(schemaOf("limit")).toMatchObject({ type: "integer", minimum: 1, maximum: 1000 })
      expect(schemaOf("cursor")).toMatchObject({ type: "string", pattern: "^[A-Za-z0-9_-]+$" })
    }))
})
