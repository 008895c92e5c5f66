import { expect, layer } from "@effect/vitest"
import { Effect, Option } from "effect"
import { connect } from "node:net"
import { baseUrl } from "../support/server.js"
import { appliedDelivery, configuredService, createConnection, post, refusal, twilioDefaultToken, twilioOtherToken, twilioRequest, unique } from "../support/providerRoutes.js"

const accountSid = "AC0123456789abcdef0123456789abcdef"

/** A status callback as Twilio posts it for an SMS (form-urlencoded). */
const callback = (messageSid: string, to: string, status: string, extra: Record<string, string> = {}) => ({
  AccountSid: accountSid,
  ApiVersion: "2010-04-01",
  From: "+15017122661",
  MessageSid: messageSid,
  MessageStatus: status,
  SmsSid: messageSid,
  SmsStatus: status,
  To: to,
  ...extra
})

const sid = () => unique("SM")

/** A POST whose request target goes on the wire byte for byte (fetch would percent-encode a `'`). */
const rawPost = (target: string, headers: Record<string, string>, body: string) =>
  Effect.flatMap(baseUrl, (base) => Effect.async<number>((resume) => {
    const { hostname, port } = new URL(base)
    const socket = connect(Number(port), hostname)
    let answer = ""
    socket.on("data", (chunk) => (answer += chunk.toString()))
    socket.on("end", () => resume(Effect.succeed(Number(answer.split(" ")[1]))))
    const head = Object.entries({ ...headers, host: hostname, "content-length": String(Buffer.byteLength(body)), connection: "close" })
      .map(([name, value]) => `${name}: ${value}`).join("\r\n")
    socket.write(`POST ${target} HTTP/1.1\r\n${head}\r\n\r\n${body}`)
  }))
const statusPath = "/connect/webhook/twilio/status"

layer(configuredService, { excludeTestServices: true })("Twilio status callbacks through the real server", (it) => {
  it.effect("a signed delivered callback is stored once, its retry is a duplicate, and the delivery becomes delivered", () =>
    Effect.gen(function* () {
      const messageSid = sid()
      const request = twilioRequest(twilioDefaultToken, statusPath, callback(messageSid, "+15558675310", "delivered"))
      expect(yield* post(statusPath, request)).toEqual({ status: 200, body: { accepted: 1, duplicates: 0 } })
      expect(yield* post(statusPath, request)).toEqual({ status: 200, body: { accepted: 0, duplicates: 1 } })
      const row = yield* appliedDelivery({ orgId: "default", provider: "twilio", providerMessageId: messageSid, recipient: "+15558675310" })
      expect(Option.getOrUndefined(row)).toMatchObject({ orgId: "default", status: "delivered", channel: "sms" })
    }))

  it.effect("a callback URL holding a raw ' (or \", <, >), signed as given, is accepted though Bun re-encodes it", () =>
    Effect.gen(function* () {
      for (const correlation of ["broadcastId=o'brien-spring", "broadcastId=%22quoted%22&contactId=<c-1>"]) {
        const target = `${statusPath}?${correlation.replace("%22", "\"").replace("%22", "\"")}`
        const request = twilioRequest(twilioDefaultToken, target, callback(sid(), "+15558675310", "delivered"))
        expect(yield* rawPost(target, request.headers, request.body)).toBe(200)
      }
    }))

  it.effect("a changed parameter, a missing signature or a signature over another URL is refused with 401 naming the check", () =>
    Effect.gen(function* () {
      const messageSid = sid()
      const signed = twilioRequest(twilioDefaultToken, statusPath, callback(messageSid, "+15558675310", "delivered"))
      expect(yield* post(statusPath, { ...signed, body: signed.body.replace("delivered", "undelivered") }))
        .toEqual({ status: 401, body: refusal("SignatureRejected", "signature-mismatch") })
      const { "x-twilio-signature": _, ...unsigned } = signed.headers
      expect(yield* post(statusPath, { ...signed, headers: unsigned })).toEqual({ status: 401, body: refusal("SignatureRejected", "missing-signature") })
      // Signed for another path than the one it is sent to: PUBLIC_BASE_URL + the request's path is what must match.
      const elsewhere = twilioRequest(twilioDefaultToken, `${statusPath}/elsewhere`, callback(messageSid, "+15558675310", "delivered"))
      expect(yield* post(statusPath, elsewhere)).toEqual({ status: 401, body: refusal("SignatureRejected", "signature-mismatch") })
      const row = yield* appliedDelivery({ orgId: "default", provider: "twilio", providerMessageId: messageSid, recipient: "+15558675310" })
      expect(Option.isNone(row)).toBe(true)
    }))

  it.effect("correlation ids in the StatusCallback query are signed with the URL and reach the delivery row", () =>
    Effect.gen(function* () {
      const messageSid = sid()
      const path = `${statusPath}?broadcastId=spring-sale&contactId=contact-7`
      const request = twilioRequest(twilioDefaultToken, path, callback(messageSid, "+15558675312", "delivered"))
      expect(yield* post(path, request)).toEqual({ status: 200, body: { accepted: 1, duplicates: 0 } })
      const row = yield* appliedDelivery({ orgId: "default", provider: "twilio", providerMessageId: messageSid, recipient: "+15558675312" })
      expect(Option.getOrUndefined(row)).toMatchObject({ status: "delivered", broadcastId: "spring-sale", contactId: "contact-7" })
      expect(yield* post(`${statusPath}?broadcastId=other-sale&contactId=contact-7`, request))
        .toEqual({ status: 401, body: refusal("SignatureRejected", "signature-mismatch") })
    }))

  it.effect("a connection's route verifies with the connection's auth token over its own URL and files the event under its org", () =>
    Effect.gen(function* () {
      const orgId = unique("acme-")
      const id = yield* createConnection(orgId, "twilio", { authToken: twilioOtherToken })
      const path = `${statusPath}/${id}`
      const messageSid = sid()
      const failed = callback(messageSid, "+15558675311", "undelivered", { ErrorCode: "30005" })
      expect(yield* post(path, twilioRequest(twilioOtherToken, path, failed))).toEqual({ status: 200, body: { accepted: 1, duplicates: 0 } })
      const key = { provider: "twilio", providerMessageId: messageSid, recipient: "+15558675311" }
      expect(Option.getOrUndefined(yield* appliedDelivery({ orgId, ...key }))).toMatchObject({ orgId, status: "failed" })
      expect(Option.isNone(yield* appliedDelivery({ orgId: "default", ...key }))).toBe(true)
      const withDefaultToken = twilioRequest(twilioDefaultToken, path, callback(sid(), "+15558675311", "delivered"))
      expect(yield* post(path, withDefaultToken)).toEqual({ status: 401, body: refusal("SignatureRejected", "signature-mismatch") })
    }))
})
