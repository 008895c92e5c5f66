import { expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { call } from "../support/contactsApi.js"
import { createEndpoint, logUntil, notificationsService, verified } from "../support/notifications.js"
import { unique } from "../support/providerRoutes.js"
import { receiver } from "../support/receiver.js"
import { freshEvents } from "../support/reports.js"

layer(notificationsService(), { excludeTestServices: true })("outbound notifications through the HTTP server and PostgreSQL", (it) => {
  it.effect("a bounce the pipeline applies arrives signed as Standard Webhooks specify, verified by their library; other events do not notify", () =>
    Effect.scoped(Effect.gen(function* () {
      const org = unique("org-")
      const hooks = yield* receiver()
      const { endpoint, secret } = yield* createEndpoint(org, { url: hooks.url, events: ["delivery.bounced"] })
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/)
      expect(endpoint).toMatchObject({ url: hooks.url, format: "standard", events: ["delivery.bounced"], enabled: true,
        filter: { broadcastIds: null, categories: null, channels: null } })
      expect(endpoint).not.toHaveProperty("secret")
      yield* freshEvents(org, [
        { recipient: "gone@example.com", type: "bounced", data: { reason: "550 5.1.1 no such user" } },
        { recipient: "fine@example.com", type: "delivered" }
      ])
      const [request] = yield* hooks.awaitCount(1)
      const payload = verified(secret, request!)
      expect(payload).toMatchObject({ type: "delivery.bounced", data: { recipient: "gone@example.com", channel: "email", reason: "550 5.1.1 no such user", category: "transactional" } })
      expect(new Date(payload.timestamp).toString()).not.toBe("Invalid Date")
      expect(request!.headers["webhook-id"]).toMatch(/^msg_[0-9a-f]{32}$/)
      const log = yield* logUntil(org, endpoint.id, (a) => a.length >= 1)
      expect(log).toMatchObject([{ messageId: request!.headers["webhook-id"], type: "delivery.bounced", attempt: 1, outcome: "delivered", statusCode: 200, responseExcerpt: "ok" }])
      // The secret is never shown again.
      const shown = yield* call(org, `/notification-endpoints/${endpoint.id}`)
      expect(JSON.stringify(shown.body)).not.toContain(secret.slice(6))
      expect(hooks.received).toHaveLength(1)
    })))

  it.effect("an endpoint URL to a loopback, private, link-local or metadata address is refused with 400 naming url; 127.0.0.1 only by the allow-list", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      for (const url of ["http://127.0.0.2:9/hooks", "http://10.1.2.3/hooks", "http://169.254.169.254/latest/meta-data", "http://[::1]:8080/",
        "http://[fd00:ec2::254]/", "http://100.64.0.1/", "http://192.168.1.1/", "http://[::ffff:127.0.0.2]/"]) {
        const reply = yield* call(org, "/notification-endpoints", { json: { url, events: ["delivery.bounced"] } })
        expect(reply, url).toMatchObject({ status: 400, body: { error: "BadRequest", message: expect.stringMatching(/^url: .* address; only public addresses/) } })
      }
      for (const url of ["ftp://example.com/x", "not a url", "https://user:pass@example.com/"]) {
        expect(yield* call(org, "/notification-endpoints", { json: { url, events: ["delivery.bounced"] } }), url).toMatchObject({
          status: 400, body: { error: "BadRequest", message: expect.stringMatching(/^url: /) }
        })
      }
      expect(yield* call(org, "/notification-endpoints", { json: { url: "https://hooks.example.com/x", events: ["delivery.exploded"] } })).toMatchObject({
        status: 400, body: { message: expect.stringMatching(/^events\.0: 'delivery\.exploded' is not a notification type; expected delivery\.bounced/) }
      })
      expect(yield* call(org, "/notification-endpoints", { json: { url: "https://hooks.example.com/x", events: [] } })).toMatchObject({
        status: 400, body: { message: "events: expected at least one notification type" }
      })
      expect(yield* call(org, "/notification-endpoints", { json: { url: "https://hooks.example.com/x", events: ["delivery.bounced"], format: "teams" } })).toMatchObject({ status: 400 })
      // A name is judged after DNS, at each send; the allow-list lets 127.0.0.1 through.
      expect((yield* call(org, "/notification-endpoints", { json: { url: "https://hooks.example.com/x", events: ["delivery.bounced"] } })).status).toBe(201)
      expect((yield* call(org, "/notification-endpoints", { json: { url: "http://127.0.0.1:9/x", events: ["delivery.bounced"] } })).status).toBe(201)
      const { endpoint } = yield* createEndpoint(org, { url: "https://hooks.example.com/y", events: ["delivery.bounced"] })
      expect(yield* call(org, `/notification-endpoints/${endpoint.id}`, { method: "PATCH", json: { url: "http://127.0.0.3/" } })).toMatchObject({
        status: 400, body: { message: expect.stringMatching(/^url: 127\.0\.0\.3 is a loopback address/) }
      })
      expect((yield* call(org, `/notification-endpoints/${endpoint.id}`, { method: "DELETE" })).status).toBe(200)
      const listed = yield* call(org, "/notification-endpoints")
      expect((listed.body as { items: ReadonlyArray<{ url: string }> }).items.map((e) => e.url)).toEqual(["https://hooks.example.com/x", "http://127.0.0.1:9/x"])
    }))

  it.effect("a 500 and a timeout are retried under the same webhook-id until it is delivered, each attempt in the log", () =>
    Effect.scoped(Effect.gen(function* () {
      const org = unique("org-")
      const hooks = yield* receiver(async (n) => {
        if (n === 0) return new Response("database down", { status: 500 })
        if (n === 1) await Bun.sleep(2_500)
        return new Response("thanks")
      })
      const { endpoint, secret } = yield* createEndpoint(org, { url: hooks.url, events: ["delivery.complained"] })
      yield* freshEvents(org, [{ recipient: "angry@example.com", type: "complained" }])
      const log = yield* logUntil(org, endpoint.id, (a) => a.some((x) => x.outcome === "delivered"))
      expect(log.map((a) => [a.attempt, a.outcome, a.statusCode])).toEqual([[1, "failed", 500], [2, "failed", null], [3, "delivered", 200]])
      expect(log[0]).toMatchObject({ error: "answered 500", responseExcerpt: "database down", nextRetryAt: expect.any(String) })
      expect(log[1]!.error).toMatch(/^no answer within 1000 ms/)
      expect(new Set(log.map((a) => a.messageId)).size).toBe(1)
      const requests = yield* hooks.awaitCount(3)
      expect(new Set(requests.map((r) => r.headers["webhook-id"]))).toEqual(new Set([log[0]!.messageId]))
      for (const request of requests) expect(verified(secret, request).type).toBe("delivery.complained")
    })))

  it.effect("another org's endpoint is not found by any route", () =>
    Effect.gen(function* () {
      const owner = unique("org-")
      const other = unique("org-")
      const { endpoint } = yield* createEndpoint(owner, { url: "https://hooks.example.com/a", events: ["sender.flagged"] })
      const id = endpoint.id
      for (const [path, request] of [
        [`/notification-endpoints/${id}`, {}],
        [`/notification-endpoints/${id}`, { method: "PATCH", json: { enabled: false } }],
        [`/notification-endpoints/${id}`, { method: "DELETE" }],
        [`/notification-endpoints/${id}/rotate-secret`, { method: "POST" }],
        [`/notification-endpoints/${id}/test`, { method: "POST" }],
        [`/notification-endpoints/${id}/deliveries`, {}],
        [`/notification-endpoints/${id}/replay`, { json: { messageId: `msg_${"0".repeat(32)}` } }]
      ] as const) {
        expect(yield* call(other, path, request), `${path} ${JSON.stringify(request)}`).toMatchObject({ status: 404, body: { error: "NotFound" } })
      }
      expect((yield* call(other, "/notification-endpoints")).body).toEqual({ items: [] })
      // Every route is described, behind the bearer scheme.
      const spec = (yield* call(owner, "/openapi.json")).body as { paths: Record<string, Record<string, { security?: ReadonlyArray<unknown> }>> }
      const routes = Object.entries(spec.paths).filter(([path]) => path.startsWith("/notification-endpoints"))
        .flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => `${method} ${path} ${operation.security === undefined ? "open" : "bearer"}`))
      expect(routes.sort()).toEqual([
        "delete /notification-endpoints/{id} bearer", "get /notification-endpoints bearer", "get /notification-endpoints/{id} bearer",
        "get /notification-endpoints/{id}/deliveries bearer", "patch /notification-endpoints/{id} bearer", "post /notification-endpoints bearer",
        "post /notification-endpoints/{id}/replay bearer", "post /notification-endpoints/{id}/rotate-secret bearer", "post /notification-endpoints/{id}/test bearer"
      ])
      expect((yield* call(owner, `/notification-endpoints/${id}`)).status).toBe(200)
    }))
})

layer(notificationsService({ NOTIFICATION_ALLOWED_HOSTS: "" }), { excludeTestServices: true })("with no NOTIFICATION_ALLOWED_HOSTS", (it) => {
  it.effect("an endpoint URL to 127.0.0.1 is refused with 400 naming url, as every loopback address is", () =>
    Effect.gen(function* () {
      for (const url of ["http://127.0.0.1:9/hooks", "http://[::1]/"]) {
        expect(yield* call(unique("org-"), "/notification-endpoints", { json: { url, events: ["delivery.bounced"] } }), url)
          .toMatchObject({ status: 400, body: { error: "BadRequest", message: expect.stringMatching(/^url: .* is a loopback address; only public addresses/) } })
      }
    }))
})
