import { expect, layer } from "@effect/vitest"
import { DateTime, Effect, Schema } from "effect"
import { Pipeline } from "../../src/ingest/Pipeline.js"
import { broadcastsService, call, createBroadcast } from "../support/broadcasts.js"
import { unique } from "../support/providerRoutes.js"

const Answer = Schema.Struct({
  sent: Schema.Number,
  deliveries: Schema.Array(Schema.Struct({
    id: Schema.Number, recipient: Schema.String, provider: Schema.String, providerMessageId: Schema.String, outcome: Schema.String
  }))
})

const Report = Schema.Struct({
  items: Schema.Array(Schema.Struct({
    recipient: Schema.String,
    status: Schema.String,
    events: Schema.Array(Schema.Struct({ type: Schema.String, url: Schema.optional(Schema.String) }))
  }))
})

const answerOf = (reply: { readonly status: number; readonly body: unknown }) => {
  expect(reply.status, JSON.stringify(reply.body)).toBe(200)
  return Schema.decodeUnknownSync(Answer)(reply.body)
}

const reportOf = (org: string, id: string) =>
  Effect.map(call(org, "GET", `/broadcast/${id}/report`), (reply) => {
    expect(reply.status).toBe(200)
    return new Map(Schema.decodeUnknownSync(Report)(reply.body).items.map((item) => [item.recipient, item]))
  })

layer(broadcastsService(), { excludeTestServices: true })("push rows are addressable", (it) => {
  it.effect("push results answer each row's delivery id, the same on a retry; an app's open and tap against it land on the row", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const id = yield* createBroadcast(org, { name: "App update", category: "marketing", channels: ["push"] })
      const [ok, other, gone] = [unique("tok-ok-"), unique("tok-other-"), unique("tok-gone-")]
      const results = [
        { recipient: ok, provider: "fcm", messageId: "projects/p/messages/1", success: true },
        { recipient: other, provider: "apns", success: true },
        { recipient: gone, provider: "fcm", error: { code: "UNREGISTERED" } }
      ]
      const first = answerOf(yield* call(org, "POST", `/broadcast/${id}/push-results`, { results }))
      expect(first.deliveries).toEqual([
        { id: expect.any(Number), recipient: ok, provider: "fcm", providerMessageId: "projects/p/messages/1", outcome: "sent" },
        { id: expect.any(Number), recipient: other, provider: "apns", providerMessageId: `push-${id}-${other}`, outcome: "sent" },
        { id: expect.any(Number), recipient: gone, provider: "fcm", providerMessageId: `push-${id}-${gone}`, outcome: "bounced" }
      ])
      expect(new Set(first.deliveries.map((d) => d.id)).size).toBe(3)
      // A retry (before or after the pipeline applied the first call) answers the same rows.
      expect(answerOf(yield* call(org, "POST", `/broadcast/${id}/push-results`, { results })).deliveries).toEqual(first.deliveries)
      yield* (yield* Pipeline).drain
      expect(answerOf(yield* call(org, "POST", `/broadcast/${id}/push-results`, { results: [results[1]] })).deliveries).toEqual([first.deliveries[1]])

      const [okRow, , goneRow] = first.deliveries
      const appEvent = (body: Record<string, unknown>, as = org) => call(as, "POST", "/repository/create/analytics_event", body)
      const inAMinute = DateTime.formatIso(DateTime.add(yield* DateTime.now, { minutes: 1 }))
      expect(yield* appEvent({ deliveryId: okRow!.id, type: "opened", at: inAMinute })).toEqual({ status: 202, body: { accepted: true } })
      expect(yield* appEvent({ deliveryId: okRow!.id, type: "clicked", url: "myapp://promo/7", at: DateTime.formatIso(DateTime.add(yield* DateTime.now, { minutes: 2 })) })).toEqual({ status: 202, body: { accepted: true } })
      expect(yield* appEvent({ deliveryId: goneRow!.id, type: "opened" })).toEqual({ status: 202, body: { accepted: true } })
      // Bad inputs: another org's row is unknown to this org, an id no row has, a type the app cannot report.
      expect(yield* appEvent({ deliveryId: okRow!.id, type: "opened" }, unique("org-"))).toMatchObject({ status: 404, body: { error: "NotFound" } })
      expect(yield* appEvent({ deliveryId: 2_000_000_000, type: "opened" })).toMatchObject({ status: 404, body: { error: "NotFound" } })
      expect(yield* appEvent({ deliveryId: okRow!.id, type: "bounced" })).toMatchObject({ status: 400, body: { error: "BadRequest" } })
      expect(yield* call(org, "POST", `/broadcast/${id}/push-results`, { results: [{ recipient: ok, provider: "fcm" }] }))
        .toMatchObject({ status: 400, body: { message: "results[0]: expected either success: true or an error, not both nor neither" } })
      yield* (yield* Pipeline).drain

      const report = yield* reportOf(org, id)
      expect(report.get(ok)).toEqual({ recipient: ok, status: "clicked", events: [{ type: "sent" }, { type: "opened" }, { type: "clicked", url: "myapp://promo/7" }] })
      expect(report.get(other)).toEqual({ recipient: other, status: "sent", events: [{ type: "sent" }] })
      // A dead token's row stays bounced (negative outcomes rank above opens), the open is in its chronology.
      expect(report.get(gone)).toEqual({ recipient: gone, status: "bounced", events: [{ type: "bounced" }, { type: "opened" }] })
      expect(report.size).toBe(3)
    }))

  it.effect("in-app messages: registered on channel in_app, the app reports them shown, read and tapped", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const id = yield* createBroadcast(org, { name: "In-app tour", category: "product", channels: ["in_app", "email"] })
      const user = unique("user-")
      const registered = yield* call(org, "POST", `/broadcast/${id}/deliveries`, {
        deliveries: [{ recipient: user, channel: "in_app", provider: "app", providerMessageId: unique("inapp-"), status: "sent" }]
      })
      expect(registered.status, JSON.stringify(registered.body)).toBe(200)
      const row = Schema.decodeUnknownSync(Schema.Struct({ deliveries: Schema.Tuple(Schema.Struct({ id: Schema.Number })) }))(registered.body).deliveries[0]
      const appEvent = (body: Record<string, unknown>) => call(org, "POST", "/repository/create/analytics_event", { deliveryId: row.id, ...body })
      const later = (minutes: number) => Effect.map(DateTime.now, (now) => DateTime.formatIso(DateTime.add(now, { minutes })))
      expect(yield* appEvent({ type: "delivered", at: yield* later(1) })).toEqual({ status: 202, body: { accepted: true } })
      // Shown once is shown: the app's retry of the same report changes nothing.
      expect(yield* appEvent({ type: "delivered", at: yield* later(1) })).toEqual({ status: 202, body: { accepted: true } })
      expect(yield* appEvent({ type: "opened", at: yield* later(2) })).toEqual({ status: 202, body: { accepted: true } })
      expect(yield* appEvent({ type: "clicked", url: "myapp://tour/2", at: yield* later(3) })).toEqual({ status: 202, body: { accepted: true } })
      yield* (yield* Pipeline).drain

      const report = yield* reportOf(org, id)
      expect(report.get(user)).toEqual({
        recipient: user, status: "clicked",
        events: [{ type: "sent" }, { type: "delivered" }, { type: "opened" }, { type: "clicked", url: "myapp://tour/2" }]
      })

      // An email row is not the app's to call delivered.
      const mail = yield* call(org, "POST", `/broadcast/${id}/deliveries`, {
        deliveries: [{ recipient: "reader@example.com", channel: "email", provider: "sendgrid", providerMessageId: unique("sg-") }]
      })
      const mailRow = Schema.decodeUnknownSync(Schema.Struct({ deliveries: Schema.Tuple(Schema.Struct({ id: Schema.Number })) }))(mail.body).deliveries[0]
      expect(yield* call(org, "POST", "/repository/create/analytics_event", { deliveryId: mailRow.id, type: "delivered" }))
        .toMatchObject({ status: 400, body: { error: "BadRequest", message: expect.stringMatching(/^type: .*in_app and push/) } })
    }))
})
