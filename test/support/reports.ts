import { expect } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { Pipeline } from "../../src/ingest/Pipeline.js"
import { call } from "./contactsApi.js"
import { createConnection, genericOtherSecret, genericRequest, post, unique } from "./providerRoutes.js"

/** Creates a broadcast as the org (email and sms) and returns its id. */
export const createBroadcast = (org: string) =>
  Effect.map(call(org, "/broadcast", { json: { name: "Launch", category: "marketing", channels: ["email", "sms"] } }), (reply) =>
    Schema.decodeUnknownSync(Schema.Struct({ id: Schema.String }))(reply.body).id)

export const register = (org: string, id: string, rows: ReadonlyArray<Record<string, unknown>>) =>
  Effect.map(call(org, `/broadcast/${id}/deliveries`, { json: { deliveries: rows.map((r) => ({ channel: "email", provider: "generic", status: "sent", ...r })) } }),
    (reply) => expect(reply.status).toBe(200))

/** Generic provider events for the org's rows, applied before returning. */
export const providerEvents = (org: string, events: ReadonlyArray<{ readonly messageId: string; readonly recipient: string; readonly type: string; readonly at: string; readonly data?: Record<string, unknown>; readonly channel?: string }>) =>
  Effect.gen(function* () {
    const connection = yield* createConnection(org, "generic", { secret: genericOtherSecret })
    const body = events.map((e) => ({ id: unique("evt-"), type: e.type, timestamp: e.at, messageId: e.messageId, recipient: e.recipient, data: e.data ?? {}, ...(e.channel === undefined ? {} : { channel: e.channel }) }))
    expect((yield* post(`/connect/webhook/generic/${connection}`, genericRequest(genericOtherSecret, body))).status).toBe(200)
    yield* (yield* Pipeline).drain
  })

/** Provider events for the org, each on a message of its own, timed now, applied before returning. */
export const freshEvents = (org: string, events: ReadonlyArray<{ readonly recipient: string; readonly type: string; readonly data?: Record<string, unknown> }>) =>
  providerEvents(org, events.map((e) => ({ ...e, messageId: unique("msg-"), at: new Date().toISOString() })))
