import { expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { createHmac } from "node:crypto"
import { maxJsonDepth } from "../../src/domain/JsonText.js"
import { broadcastsService, createBroadcast, orgToken } from "../support/broadcasts.js"
import { adminKey, configuredService, genericDefaultSecret, genericRequest, post, twilioDefaultToken, twilioRequest, unique } from "../support/providerRoutes.js"
import { baseUrl } from "../support/server.js"

const deep = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`
const tooDeep = { error: "PayloadRejected", message: `the body nests deeper than ${maxJsonDepth} levels` }
const signed = (text: string) => ({
  body: text,
  headers: { "content-type": "application/json", "x-webhook-signature": `sha256=${createHmac("sha256", genericDefaultSecret).update(text).digest("hex")}` }
})
const event = (fields: Record<string, unknown>) => ({
  id: unique("evt-"), type: "delivered", timestamp: new Date().toISOString(), messageId: unique("m-"), recipient: "ada@example.com", ...fields
})

layer(configuredService, { excludeTestServices: true })("hostile webhook bodies", (it) => {
  it.effect("a signed body nested past the limit is a 400 naming it, not a stack overflow", () =>
    Effect.gen(function* () {
      expect(yield* post("/connect/webhook/generic", signed(deep(200_000)))).toMatchObject({ status: 400, body: tooDeep })
      expect(yield* post("/connect/webhook/generic", signed(`[${JSON.stringify(event({}))},${deep(maxJsonDepth)}]`)))
        .toMatchObject({ status: 400, body: tooDeep })
    }))

  it.effect("unsigned deep bodies are a 400 naming the limit on every route, also where the signature lives inside the JSON (Mailgun, SNS)", () =>
    Effect.gen(function* () {
      const body = { body: deep(200_000), headers: { "content-type": "application/json" } }
      for (const path of ["/connect/webhook/generic", "/connect/webhook/mailgun", "/connect/webhook/sendgrid", "/connect/webhook/resend", "/connect/webhook/postmark"]) {
        expect(yield* post(path, body)).toMatchObject({ status: 400, body: tooDeep })
      }
      expect(yield* post("/api/ses-events", { ...body, headers: { "content-type": "text/plain; charset=UTF-8", "x-amz-sns-message-type": "Notification" } }))
        .toMatchObject({ status: 400, body: tooDeep })
    }))

  it.effect("a NUL or lone surrogate escape in any string is a 400 naming the field, and nothing is acknowledged", () =>
    Effect.gen(function* () {
      for (const [fields, field] of [
        [{ data: { reason: "550\u0000" } }, "[0].data.reason"],
        [{ recipient: "ada\ud800@example.com" }, "[0].recipient"],
        [{ id: "evt-\udfff" }, "[0].id"]
      ] as const) {
        const reply = yield* post("/connect/webhook/generic", genericRequest(genericDefaultSecret, [event(fields)]))
        expect(reply).toMatchObject({ status: 400, body: { error: "PayloadRejected", message: expect.stringContaining(`${field}: text must not hold NUL`) } })
      }
    }))

  it.effect("fields past their bounds and times outside the window are a 400 naming them, before anything is acknowledged", () =>
    Effect.gen(function* () {
      for (const [fields, expected] of [
        [{ id: "e".repeat(250_000) }, /^event 1: providerEventId: Expected at most 255 bytes of UTF-8, got 250000$/],
        [{ messageId: "m".repeat(70_000) }, /^event 1: providerMessageId: Expected at most 255 bytes/],
        [{ recipient: `${"r".repeat(400)}@example.com` }, /^event 1: recipient: Expected at most 320 bytes/],
        [{ senderAccountId: "s".repeat(300) }, /^event 1: senderAccountId: Expected at most 255 bytes/],
        [{ messageId: "😀".repeat(100) }, /^event 1: providerMessageId: Expected at most 255 bytes of UTF-8, got 400$/],
        [{ type: "bounced", data: { reason: "x".repeat(5000) } }, /^event 1: details\.reason: Expected at most 4096 bytes of UTF-8, got 5000$/],
        [{ timestamp: 253_402_300_800_000 }, /^event 1: occurredAt: \+010000-01-01T00:00:00.000Z is outside 2000-01-01 to 7 days after receipt$/],
        [{ timestamp: new Date(Date.now() + 30 * 86_400_000).toISOString() }, /^event 1: occurredAt: .* is outside 2000-01-01 to 7 days after receipt$/]
      ] as const) {
        const reply = yield* post("/connect/webhook/generic", genericRequest(genericDefaultSecret, [event(fields)]))
        expect(reply).toMatchObject({ status: 400, body: { error: "PayloadRejected", message: expect.stringMatching(expected) } })
      }
    }))

  it.effect("a signed body with raw NUL bytes is a 400 and is kept in dead letters byte for byte", () =>
    Effect.gen(function* () {
      const text = `[{"id":"${unique("nul-")}"\u0000\u0000]`
      expect(yield* post("/connect/webhook/generic", signed(text))).toMatchObject({ status: 400, body: { error: "PayloadRejected", message: expect.stringMatching(/^the body is not JSON/) } })
      const letters = yield* Effect.flatMap(baseUrl, (base) => Effect.promise(() =>
        fetch(`${base}/admin/dead-letters?limit=1000`, { headers: { authorization: `Bearer ${adminKey}` } }).then((r) => r.json() as Promise<{ items: Array<{ rawBodyBase64: string | null }> }>)))
      expect(letters.items.map((l) => l.rawBodyBase64)).toContain(Buffer.from(text).toString("base64"))
    }))

  it.effect("a signed Twilio form with a NUL in a field is a 400 naming the field", () =>
    Effect.gen(function* () {
      const params = { MessageSid: unique("SM"), MessageStatus: "undelivered", To: "+15558675310", ErrorCode: "30003", ErrorMessage: "gone\u0000" }
      expect(yield* post("/connect/webhook/twilio/status", twilioRequest(twilioDefaultToken, "/connect/webhook/twilio/status", params)))
        .toMatchObject({ status: 400, body: { error: "PayloadRejected", message: expect.stringMatching(/^ErrorMessage: text must not hold NUL/) } })
    }))
})

layer(broadcastsService(), { excludeTestServices: true })("hostile org API bodies", (it) => {
  const send = (org: string, path: string, text: string) =>
    Effect.gen(function* () {
      const base = yield* baseUrl
      const token = yield* orgToken(org)
      return yield* Effect.promise(async () => {
        const response = await fetch(`${base}${path}`, {
          method: "POST", body: text, headers: { authorization: `Bearer ${token}`, orgid: org, "content-type": "application/json" }
        })
        return { status: response.status, body: (await response.json()) as unknown }
      })
    })

  it.effect("a NUL in a path or a query parameter is a 400 naming it, on org routes and webhook routes alike", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const base = yield* baseUrl
      const token = yield* orgToken(org)
      const call = (method: string, path: string) => Effect.promise(async () => {
        const response = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}`, orgid: org }, ...(method === "POST" ? { body: "[]" } : {}) })
        return { status: response.status, body: (await response.json()) as unknown }
      })
      const nul = "text must not hold NUL (\\u0000) or an unpaired UTF-16 surrogate"
      for (const [method, path] of [["GET", "/contacts/%00"], ["GET", "/broadcast/a%00b/report"], ["DELETE", "/telegram-bots/%00"], ["POST", "/connect/webhook/generic/%00"]] as const) {
        expect([path, yield* call(method, path)]).toEqual([path, { status: 400, body: { error: "BadRequest", message: `path: ${nul}` } }])
      }
      expect(yield* call("GET", "/contacts?q=%00")).toEqual({ status: 400, body: { error: "BadRequest", message: `q: ${nul}` } })
      expect((yield* call("GET", "/contacts/100%25")).status).toBe(404)
    }))

  it.effect("deep nesting, NUL and lone surrogates get a 400 naming the problem on every JSON route", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const broadcastId = yield* createBroadcast(org)
      for (const path of ["/broadcast", `/broadcast/${broadcastId}/deliveries`, "/suppressions", "/suppressions/check", "/contacts/import"]) {
        expect(yield* send(org, path, deep(100_000))).toMatchObject({ status: 400, body: { message: `the body nests deeper than ${maxJsonDepth} levels` } })
        expect(yield* send(org, path, JSON.stringify({ name: "a\u0000", category: "marketing" })))
          .toMatchObject({ status: 400, body: { message: "name: text must not hold NUL (\\u0000) or an unpaired UTF-16 surrogate" } })
        expect(yield* send(org, path, JSON.stringify([{ email: "\ud800" }])))
          .toMatchObject({ status: 400, body: { message: "[0].email: text must not hold NUL (\\u0000) or an unpaired UTF-16 surrogate" } })
      }
    }))
})
