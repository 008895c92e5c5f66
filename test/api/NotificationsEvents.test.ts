import * as SqlClient from "@effect/sql/SqlClient"
import { expect, layer } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { HealthWatch } from "../../src/notifications/HealthWatch.js"
import { call } from "../support/contactsApi.js"
import { adminCall, createEndpoint, notificationsService, sendEvents, verified } from "../support/notifications.js"
import { unique } from "../support/providerRoutes.js"
import { receiver } from "../support/receiver.js"

/** The org's queued messages, as the transactions that caused them wrote them. */
const outbox = (org: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql`SELECT endpoint_id, event_type, payload FROM notification_outbox WHERE org_id = ${org} ORDER BY created_at, id`
    return Schema.decodeUnknownSync(Schema.Array(Schema.Struct({
      endpoint_id: Schema.String, event_type: Schema.String, payload: Schema.Struct({ data: Schema.Record({ key: Schema.String, value: Schema.Unknown }) })
    })))(rows)
  }).pipe(Effect.orDie)

layer(notificationsService(), { excludeTestServices: true })("what notifies, written in the transaction of its cause", (it) => {
  it.effect("contact.suppressed once for a suppression the pipeline or the API creates; an address already suppressed notifies nothing", () =>
    Effect.scoped(Effect.gen(function* () {
      const org = unique("org-")
      const hooks = yield* receiver()
      const { endpoint, secret } = yield* createEndpoint(org, { url: hooks.url, events: ["contact.suppressed"] })
      yield* sendEvents(org, [{ type: "bounced", recipient: "gone@example.com", data: { bounceKind: "hard", reason: "550 5.1.1" } }])
      expect((yield* call(org, "/suppressions", { json: { channel: "sms", address: "+15550100", reason: "admin" } })).status).toBe(201)
      // Again: the bounce of an address already suppressed, and the same suppression by the API.
      yield* sendEvents(org, [{ type: "bounced", recipient: "gone@example.com", data: { bounceKind: "hard" } }])
      expect((yield* call(org, "/suppressions", { json: { channel: "sms", address: "+15550100", reason: "admin" } })).status).toBe(200)
      // Two causes of one suppression in one request: one notification, under the earliest cause.
      const at = (minute: number) => `2026-12-01T10:0${minute}:00Z`
      yield* sendEvents(org, [
        { type: "complained", recipient: "twice@example.com", timestamp: at(5) },
        { type: "bounced", recipient: "twice@example.com", timestamp: at(1), data: { bounceKind: "hard" } }
      ])
      const queued = yield* outbox(org)
      expect(queued.map((m) => [m.event_type, m.payload.data.address, m.payload.data.reason])).toEqual([
        ["contact.suppressed", "gone@example.com", "bounce"], ["contact.suppressed", "+15550100", "admin"], ["contact.suppressed", "twice@example.com", "bounce"]
      ])
      const requests = yield* hooks.awaitCount(3)
      expect(requests.map((r) => verified(secret, r).data.address).sort()).toEqual(["+15550100", "gone@example.com", "twice@example.com"])
      expect(queued.every((m) => m.endpoint_id === endpoint.id)).toBe(true)
    })))

  it.effect("sender.flagged when the pipeline flags an account, health.critical then, and sender.unflagged and health.recovered when an admin lifts the flag", () =>
    Effect.scoped(Effect.gen(function* () {
      const org = unique("org-")
      const account = unique("acct-")
      const hooks = yield* receiver()
      const { secret } = yield* createEndpoint(org, { url: hooks.url, events: ["sender.flagged", "sender.unflagged", "health.critical", "health.recovered"] })
      const health = yield* HealthWatch
      yield* health.checkOrg(org)
      // Ten sends, two bounced: 20% is past the 3% policy over the sample of ten.
      const messages = Array.from({ length: 10 }, (_, i) => `m-${i}`)
      yield* sendEvents(org, messages.map((messageId, i) => ({ type: "sent", messageId, recipient: `r${i}@example.com`, senderAccountId: account })))
      yield* sendEvents(org, messages.slice(0, 2).map((messageId, i) => ({ type: "bounced", messageId, recipient: `r${i}@example.com`, senderAccountId: account })))
      yield* health.checkOrg(org)
      yield* health.checkOrg(org)
      expect((yield* adminCall(`/admin/sender-accounts/${account}/unflag`)).status).toBe(200)
      yield* health.checkOrg(org)
      expect((yield* outbox(org)).map((m) => m.event_type)).toEqual(["sender.flagged", "health.critical", "sender.unflagged", "health.recovered"])
      const payloads = (yield* hooks.awaitCount(4)).map((r) => verified(secret, r))
      const byType = new Map(payloads.map((p) => [p.type, p.data]))
      expect(byType.get("sender.flagged")).toMatchObject({ senderAccountId: account, sent: 10, reason: expect.stringMatching(/bounce rate/) })
      expect(byType.get("sender.unflagged")).toMatchObject({ senderAccountId: account })
      expect(byType.get("health.critical")).toMatchObject({ status: "critical", previousStatus: "ok", alerts: expect.arrayContaining([expect.objectContaining({ metric: "senderFlagged" })]) })
      expect(byType.get("health.recovered")).toMatchObject({ previousStatus: "critical", status: "warning" })
    })))

  it.effect("filters by channel, stream and broadcast; Slack and Discord get readable text", () =>
    Effect.scoped(Effect.gen(function* () {
      const org = unique("org-")
      const hooks = yield* receiver()
      const slack = yield* createEndpoint(org, { url: `${hooks.url}/slack`, format: "slack", events: ["delivery.bounced"], filter: { channels: ["sms"] } })
      const discord = yield* createEndpoint(org, { url: `${hooks.url}/discord`, format: "discord", events: ["delivery.bounced"], filter: { categories: ["marketing"] } })
      const standard = yield* createEndpoint(org, { url: `${hooks.url}/standard`, events: ["delivery.bounced"], filter: { broadcastIds: ["bc-1"] } })
      yield* sendEvents(org, [
        { type: "bounced", channel: "sms", recipient: "+15550199", data: { reason: "unreachable" } },
        { type: "bounced", recipient: "promo@example.com", broadcastId: "bc-1", data: { category: "marketing", reason: "550 mailbox unavailable" } },
        { type: "bounced", recipient: "receipt@example.com", data: { reason: "550" } }
      ])
      const queued = yield* outbox(org)
      const to = (id: string) => queued.filter((m) => m.endpoint_id === id).map((m) => m.payload.data.recipient)
      expect(to(slack.endpoint.id)).toEqual(["+15550199"])
      expect(to(discord.endpoint.id)).toEqual(["promo@example.com"])
      expect(to(standard.endpoint.id)).toEqual(["promo@example.com"])
      const requests = yield* hooks.awaitCount(3)
      const texts = requests.map((r) => JSON.parse(r.body) as Record<string, unknown>)
      expect(texts).toEqual(expect.arrayContaining([
        { text: "[Sendtrail] Bounced: +15550199 (sms) · — unreachable" },
        { content: "[Sendtrail] Bounced: promo@example.com (email) · — 550 mailbox unavailable · broadcast bc-1", allowed_mentions: { parse: [] } },
        expect.objectContaining({ type: "delivery.bounced", data: expect.objectContaining({ recipient: "promo@example.com", category: "marketing", broadcastId: "bc-1" }) })
      ]))
    })))
})
