import { expect, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Webhook } from "standardwebhooks"
import { Resolver, TargetRefused } from "../../src/notifications/AddressGuard.js"
import { call } from "../support/contactsApi.js"
import { attemptsOf, createEndpoint, logUntil, notificationsService, sendEvents, verified } from "../support/notifications.js"
import { unique } from "../support/providerRoutes.js"
import { receiver } from "../support/receiver.js"

/** Names resolve to what the test says, never through the network. */
const stubResolver = Layer.succeed(Resolver, {
  lookup: (host) => {
    const table: Record<string, ReadonlyArray<string>> = { "hooks.test": ["127.0.0.1"], "evil.test": ["10.0.0.7"], "split.test": ["127.0.0.1", "169.254.169.254"] }
    return host in table ? Effect.succeed(table[host]!) : Effect.fail(new TargetRefused({ message: `${host} does not resolve` }))
  }
})

layer(notificationsService().pipe(Layer.provide(stubResolver)), { excludeTestServices: true })("operating notification endpoints", (it) => {
  it.effect("replay sends one message, or a time range, again under the webhook-id it had", () =>
    Effect.scoped(Effect.gen(function* () {
      const org = unique("org-")
      const hooks = yield* receiver()
      const { endpoint, secret } = yield* createEndpoint(org, { url: hooks.url, events: ["delivery.failed"] })
      const from = new Date(Date.now() - 1000).toISOString()
      yield* sendEvents(org, [{ type: "failed", recipient: "a@example.com" }, { type: "failed", recipient: "b@example.com" }])
      const first = yield* hooks.awaitCount(2)
      const ids = first.map((r) => r.headers["webhook-id"]!).sort()
      yield* logUntil(org, endpoint.id, (a) => a.length === 2)
      expect(yield* call(org, `/notification-endpoints/${endpoint.id}/replay`, { json: { messageId: ids[0] } })).toMatchObject({ status: 200, body: { replayed: 1 } })
      const third = (yield* hooks.awaitCount(3))[2]!
      expect(third.headers["webhook-id"]).toBe(ids[0])
      expect(verified(secret, third).type).toBe("delivery.failed")
      yield* logUntil(org, endpoint.id, (a) => a.length === 3)
      const to = new Date(Date.now() + 1000).toISOString()
      expect(yield* call(org, `/notification-endpoints/${endpoint.id}/replay`, { json: { from, to } })).toMatchObject({ status: 200, body: { replayed: 2 } })
      const all = yield* hooks.awaitCount(5)
      expect(all.slice(3).map((r) => r.headers["webhook-id"]).sort()).toEqual(ids)
      const log = yield* logUntil(org, endpoint.id, (a) => a.length === 5)
      expect(log.filter((a) => a.messageId === ids[0]).map((a) => a.attempt)).toEqual([1, 2, 3])
      // The log pages newest first by cursor; one message's attempts alone with messageId.
      const pages: Array<ReadonlyArray<{ id: number }>> = []
      for (let path = `/notification-endpoints/${endpoint.id}/deliveries?limit=2`; ;) {
        const page = (yield* call(org, path)).body as { items: ReadonlyArray<{ id: number }>; nextCursor: string | null }
        pages.push(page.items)
        if (page.nextCursor === null) break
        path = `/notification-endpoints/${endpoint.id}/deliveries?limit=2&cursor=${page.nextCursor}`
      }
      expect(pages.map((p) => p.length)).toEqual([2, 2, 1])
      expect(pages.flat().map((a) => a.id)).toEqual([...log].reverse().map((a) => a.id))
      const one = (yield* call(org, `/notification-endpoints/${endpoint.id}/deliveries?messageId=${ids[1]}`)).body as { items: ReadonlyArray<{ messageId: string }> }
      expect(one.items.map((a) => a.messageId)).toEqual([ids[1], ids[1]])
      expect(yield* call(org, `/notification-endpoints/${endpoint.id}/deliveries?cursor=abc`)).toMatchObject({ status: 400, body: { message: "cursor: not one this listing issued" } })
      expect(yield* call(org, `/notification-endpoints/${endpoint.id}/replay`, { json: { messageId: `msg_${"f".repeat(32)}` } })).toMatchObject({ status: 404 })
      expect(yield* call(org, `/notification-endpoints/${endpoint.id}/replay`, { json: { from: to, to: from } })).toMatchObject({ status: 400, body: { message: "to: must not be before from" } })
      expect(yield* call(org, `/notification-endpoints/${endpoint.id}/replay`, { json: { messageId: "123" } })).toMatchObject({ status: 400 })
    })))

  it.effect("the test button sends once now and answers how it went; a rotated secret signs beside the old one", () =>
    Effect.scoped(Effect.gen(function* () {
      const org = unique("org-")
      const hooks = yield* receiver((n) => new Response(n === 0 ? "nope" : "ok", { status: n === 0 ? 503 : 200 }))
      const { endpoint, secret } = yield* createEndpoint(org, { url: hooks.url, events: ["health.critical"] })
      const failed = yield* call(org, `/notification-endpoints/${endpoint.id}/test`, { method: "POST" })
      expect(failed).toMatchObject({ status: 200, body: { outcome: "dead", statusCode: 503, error: "answered 503" } })
      const rotated = yield* call(org, `/notification-endpoints/${endpoint.id}/rotate-secret`, { method: "POST" })
      const newSecret = (rotated.body as { secret: string }).secret
      expect(newSecret).toMatch(/^whsec_/)
      expect(newSecret).not.toBe(secret)
      const sent = yield* call(org, `/notification-endpoints/${endpoint.id}/test`, { method: "POST" })
      expect(sent).toMatchObject({ status: 200, body: { outcome: "delivered", statusCode: 200, error: null } })
      const [, second] = yield* hooks.awaitCount(2)
      expect(verified(newSecret, second!)).toMatchObject({ type: "endpoint.test", data: { endpointId: endpoint.id } })
      expect(verified(secret, second!).type).toBe("endpoint.test")
      expect(() => new Webhook(`whsec_${Buffer.from("another key of 24 bytes!").toString("base64")}`).verify(second!.body, second!.headers)).toThrow()
      // The test message is not retried: two attempts in the log, one for each press.
      expect((yield* attemptsOf(org, endpoint.id)).map((a) => [a.type, a.outcome])).toEqual([["endpoint.test", "dead"], ["endpoint.test", "delivered"]])
    })))

  it.effect("sustained failure disables the endpoint and tells the org's other endpoints; re-enabled, its pending message is delivered", () =>
    Effect.scoped(Effect.gen(function* () {
      const org = unique("org-")
      let healthy = false
      const failing = yield* receiver(() => new Response("down", { status: healthy ? 200 : 500 }))
      const watcher = yield* receiver()
      const { endpoint } = yield* createEndpoint(org, { url: failing.url, events: ["delivery.bounced"] })
      const alerts = yield* createEndpoint(org, { url: watcher.url, events: ["endpoint.disabled"] })
      yield* sendEvents(org, [{ type: "bounced", recipient: "x@example.com" }])
      const [alert] = yield* watcher.awaitCount(1)
      expect(verified(alerts.secret, alert!)).toMatchObject({ type: "endpoint.disabled", data: { endpointId: endpoint.id, host: new URL(failing.url).host, reason: "answered 500" } })
      expect(alert!.body).not.toContain(new URL(failing.url).pathname)
      const shown = (yield* call(org, `/notification-endpoints/${endpoint.id}`)).body
      expect(shown).toMatchObject({ enabled: false, consecutiveFailures: 4, disabledReason: expect.stringMatching(/^4 attempts in a row failed since /) })
      expect((yield* attemptsOf(org, endpoint.id)).map((a) => a.outcome)).toEqual(["failed", "failed", "failed", "failed"])
      // The org's health says so until the endpoint is re-enabled; one the org disables itself is no alert.
      const endpointAlerts = Effect.map(call(org, "/deliverability/health"), (reply) =>
        (reply.body as { alerts: ReadonlyArray<{ metric: string; endpointId?: string; severity: string; message: string }> }).alerts
          .filter((a) => a.metric === "notificationEndpointDisabled"))
      expect(yield* endpointAlerts).toEqual([{
        metric: "notificationEndpointDisabled", endpointId: endpoint.id, severity: "warning", value: 1, threshold: null,
        message: expect.stringMatching(new RegExp(`^notification endpoint ${endpoint.id} is disabled since .*: 4 attempts in a row failed since `))
      }])
      expect((yield* call(org, `/notification-endpoints/${alerts.endpoint.id}`, { method: "PATCH", json: { enabled: false } })).status).toBe(200)
      expect((yield* endpointAlerts).map((a) => a.endpointId)).toEqual([endpoint.id])
      // Disabled: new events are not queued for it.
      yield* sendEvents(org, [{ type: "bounced", recipient: "y@example.com" }])
      healthy = true
      const patched = yield* call(org, `/notification-endpoints/${endpoint.id}`, { method: "PATCH", json: { enabled: true } })
      expect(patched).toMatchObject({ status: 200, body: { enabled: true, consecutiveFailures: 0, failingSince: null, disabledReason: null } })
      expect(yield* endpointAlerts).toEqual([])
      const log = yield* logUntil(org, endpoint.id, (a) => a.some((x) => x.outcome === "delivered"))
      expect(log.map((a) => a.outcome)).toEqual(["failed", "failed", "failed", "failed", "delivered"])
      const delivered = (yield* failing.awaitCount(5)).map((r) => JSON.parse(r.body) as { data: { recipient: string } })
      expect(new Set(delivered.map((p) => p.data.recipient))).toEqual(new Set(["x@example.com"]))
    })))

  it.effect("a name is resolved at send time and the checked address is the one connected to; a name resolving to a private address is refused, never sent", () =>
    Effect.scoped(Effect.gen(function* () {
      const org = unique("org-")
      const hooks = yield* receiver()
      const named = yield* createEndpoint(org, { url: `http://hooks.test:${hooks.port}/in`, events: ["delivery.unsubscribed"] })
      const evil = yield* createEndpoint(org, { url: `http://evil.test:${hooks.port}/in`, events: ["delivery.unsubscribed"] })
      const split = yield* createEndpoint(org, { url: `http://split.test:${hooks.port}/in`, events: ["delivery.unsubscribed"] })
      yield* sendEvents(org, [{ type: "unsubscribed", recipient: "bye@example.com" }])
      const [request] = yield* hooks.awaitCount(1)
      expect(request!.headers.host).toBe(`hooks.test:${hooks.port}`)
      expect(verified(named.secret, request!).data).toMatchObject({ recipient: "bye@example.com" })
      const refused = yield* logUntil(org, evil.endpoint.id, (a) => a.length > 0)
      expect(refused[0]).toMatchObject({ outcome: "refused", statusCode: null, error: expect.stringMatching(/^evil\.test resolves to 10\.0\.0\.7, a private address; refused/) })
      const mixed = yield* logUntil(org, split.endpoint.id, (a) => a.length > 0)
      expect(mixed[0]).toMatchObject({ outcome: "refused", error: expect.stringMatching(/169\.254\.169\.254, a link-local/) })
      expect(hooks.received).toHaveLength(1)
    })))
})

layer(notificationsService({ NOTIFICATION_TIMEOUT_MS: "30000", NOTIFICATION_CONCURRENCY_PER_ENDPOINT: "1" }), { excludeTestServices: true })("a stuck endpoint", (it) => {
  it.effect("holds only its own messages: webhooks are acknowledged, the pipeline applies and queues, another endpoint is served", () =>
    Effect.scoped(Effect.gen(function* () {
      const org = unique("org-")
      let release: () => void = () => undefined
      const released = new Promise<void>((resolve) => (release = resolve))
      const stuck = yield* receiver(async () => {
        await released
        return new Response("late")
      })
      const fast = yield* receiver()
      const slow = yield* createEndpoint(org, { url: stuck.url, events: ["delivery.bounced"] })
      const quick = yield* createEndpoint(org, { url: fast.url, events: ["delivery.bounced"] })
      yield* sendEvents(org, [{ type: "bounced", recipient: "first@example.com" }])
      yield* stuck.awaitCount(1)
      // While its first message hangs: three more bounces are acknowledged and applied (sendEvents asserts
      // the 200 and drains the pipeline), queued for both endpoints; the other endpoint gets all four.
      yield* sendEvents(org, ["a", "b", "c"].map((name) => ({ type: "bounced", recipient: `${name}@example.com` })))
      const served = yield* fast.awaitCount(4)
      expect(served.map((r) => verified(quick.secret, r).data.recipient).sort()).toEqual(["a@example.com", "b@example.com", "c@example.com", "first@example.com"])
      expect(stuck.received).toHaveLength(1)
      expect((yield* attemptsOf(org, slow.endpoint.id))).toEqual([])
      release()
      const log = yield* logUntil(org, slow.endpoint.id, (a) => a.filter((x) => x.outcome === "delivered").length === 4)
      expect(log.map((a) => a.outcome)).toEqual(["delivered", "delivered", "delivered", "delivered"])
    })))
})

layer(notificationsService({ NOTIFICATION_RETRY_WINDOW_SECONDS: "1", NOTIFICATION_RETRY_BASE_MS: "200", NOTIFICATION_DISABLE_AFTER_FAILURES: "100" }), { excludeTestServices: true })("the retry window", (it) => {
  it.effect("a message still failing when its retry window closes is dead: its last attempt says so and schedules nothing", () =>
    Effect.scoped(Effect.gen(function* () {
      const org = unique("org-")
      const hooks = yield* receiver(() => new Response("no", { status: 502 }))
      const { endpoint } = yield* createEndpoint(org, { url: hooks.url, events: ["delivery.bounced"] })
      yield* sendEvents(org, [{ type: "bounced", recipient: "never@example.com" }])
      const log = yield* logUntil(org, endpoint.id, (a) => a.some((x) => x.outcome === "dead"))
      const last = log[log.length - 1]!
      expect(last).toMatchObject({ outcome: "dead", statusCode: 502, nextRetryAt: null })
      expect(log.slice(0, -1).every((a) => a.outcome === "failed" && a.nextRetryAt !== null)).toBe(true)
      expect(log.map((a) => a.attempt)).toEqual(log.map((_, i) => i + 1))
      // Still enabled (the endpoint is judged by its own policy), and replay brings the message back.
      expect((yield* call(org, `/notification-endpoints/${endpoint.id}`)).body).toMatchObject({ enabled: true })
      expect((yield* call(org, `/notification-endpoints/${endpoint.id}/replay`, { json: { messageId: last.messageId } })).body).toEqual({ replayed: 1 })
      const again = yield* logUntil(org, endpoint.id, (a) => a.length > log.length)
      expect(again[log.length]).toMatchObject({ messageId: last.messageId, attempt: log.length + 1 })
    })))
})
