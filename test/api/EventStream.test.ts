import { expect, layer } from "@effect/vitest"
import { Effect, Layer, Logger, LogLevel } from "effect"
import { SignJWT } from "jose"
import { Pipeline } from "../../src/ingest/Pipeline.js"
import { EventFeed } from "../../src/metrics/EventFeed.js"
import { configuredEnvironment, createConnection, genericOtherSecret, genericRequest, post, unique, vendorServices } from "../support/providerRoutes.js"
import { baseUrl, inProcessService } from "../support/server.js"

const jwtSecret = "event-stream-jwt-secret"
const service = inProcessService({ ...configuredEnvironment, JWT_SECRET: jwtSecret }, vendorServices).pipe(
  Layer.provide(Logger.minimumLogLevel(LogLevel.Error))
)

const orgToken = (org: string) =>
  Effect.promise(() =>
    new SignJWT({ org }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("1h").sign(new TextEncoder().encode(jwtSecret)))

/** Opens the stream as `org` and reads it chunk by chunk; `until` reads until the text so far contains a string. */
const openStream = (org: string) =>
  Effect.acquireRelease(
    Effect.gen(function* () {
      const base = yield* baseUrl
      const token = yield* orgToken(org)
      const controller = new AbortController()
      const response = yield* Effect.promise(() =>
        fetch(`${base}/events/stream`, { headers: { authorization: `Bearer ${token}`, orgid: org }, signal: controller.signal }))
      const body = response.body
      if (body === null) return yield* Effect.dieMessage("no body")
      const reader = body.getReader()
      const decoder = new TextDecoder()
      let text = ""
      const until = (needle: string) =>
        Effect.promise(async () => {
          while (!text.includes(needle)) {
            const chunk = await reader.read()
            if (chunk.done) throw new Error(`stream ended before ${JSON.stringify(needle)}; got ${JSON.stringify(text)}`)
            text += decoder.decode(chunk.value, { stream: true })
          }
          return text
        }).pipe(Effect.timeout("10 seconds"))
      return { response, until, controller }
    }),
    ({ controller }) => Effect.sync(() => controller.abort())
  )

const event = (messageId: string, recipient: string) =>
  ({ id: unique("evt-"), type: "delivered", timestamp: new Date().toISOString(), messageId, recipient, data: {} })

layer(service, { excludeTestServices: true })("GET /events/stream", (it) => {
  it.scoped("streams the org's applied events as SSE, and not another org's", () =>
    Effect.gen(function* () {
      const org = unique("acme-")
      const other = unique("globex-")
      const ours = yield* createConnection(org, "generic", { secret: genericOtherSecret })
      const theirs = yield* createConnection(other, "generic", { secret: genericOtherSecret })
      const stream = yield* openStream(org)
      expect(stream.response.status).toBe(200)
      expect(stream.response.headers.get("content-type")).toMatch(/^text\/event-stream/)
      expect(stream.response.headers.get("cache-control")).toBe("no-cache")
      yield* stream.until(": subscribed\n\n")
      const theirMessage = unique("gen-")
      const ourMessage = unique("gen-")
      expect((yield* post(`/connect/webhook/generic/${theirs}`, genericRequest(genericOtherSecret, event(theirMessage, "grace@example.com")))).status).toBe(200)
      yield* (yield* Pipeline).drain
      expect((yield* post(`/connect/webhook/generic/${ours}`, genericRequest(genericOtherSecret, event(ourMessage, "ada@example.com")))).status).toBe(200)
      yield* (yield* Pipeline).drain
      const text = yield* stream.until(ourMessage)
      const messages = text.split("\n\n").filter((m) => m.startsWith("event: "))
      expect(messages).toHaveLength(1)
      const [eventLine, dataLine] = (messages[0] ?? "").split("\n")
      expect(eventLine).toBe("event: delivered")
      expect(JSON.parse((dataLine ?? "").replace(/^data: /, ""))).toMatchObject({
        orgId: org, provider: "generic", providerMessageId: ourMessage, recipient: "ada@example.com", channel: "email", type: "delivered"
      })
      expect(text).not.toContain(theirMessage)
    }))

  it.scoped("a client that goes away is unsubscribed", () =>
    Effect.gen(function* () {
      const feed = yield* EventFeed
      const before = yield* feed.subscribers
      const org = unique("acme-")
      yield* Effect.scoped(Effect.flatMap(openStream(org), (stream) => stream.until(": subscribed")))
      let now = yield* feed.subscribers
      for (let i = 0; i < 100 && now > before; i++) {
        yield* Effect.sleep("20 millis")
        now = yield* feed.subscribers
      }
      expect(now).toBe(before)
    }))

  it.effect("without a token the answer is 401, with another org's token 403", () =>
    Effect.gen(function* () {
      const base = yield* baseUrl
      const anonymous = yield* Effect.promise(() => fetch(`${base}/events/stream`, { headers: { orgid: "acme" } }).then(async (r) => ({ status: r.status, body: await r.json() })))
      expect(anonymous).toMatchObject({ status: 401, body: { error: "Unauthorized" } })
      const token = yield* orgToken("acme")
      const crossed = yield* Effect.promise(() =>
        fetch(`${base}/events/stream`, { headers: { authorization: `Bearer ${token}`, orgid: "globex" } }).then(async (r) => ({ status: r.status, body: await r.json() })))
      expect(crossed).toMatchObject({ status: 403, body: { error: "Forbidden" } })
    }))
})
