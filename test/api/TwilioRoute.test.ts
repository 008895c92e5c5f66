import { expect, layer } from "@effect/vitest"
import { Effect, Option, Schema } from "effect"
import { connect } from "node:net"
import { baseUrl } from "../support/server.js"
import { appliedDelivery, configuredService, createConnection, post, refusal, twilioDefaultToken, twilioOtherToken, twilioRequest, unique } from "../support/providerRoutes.js"
import { Pipeline } from "../../src/ingest/Pipeline.js"
import { call, contactsService } from "../support/contactsApi.js"
import { adminKey } from "../support/signing.js"

const accountSid = "AC0123456789abcdef0123456789abcdef"

/** A status callback as Twilio posts it (form-urlencoded); `to` may carry the whatsapp: prefix. */
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


const Report = Schema.Struct({
  items: Schema.Array(Schema.Struct({
    providerMessageId: Schema.NullOr(Schema.String),
    status: Schema.String,
    errorReason: Schema.optional(Schema.String),
    events: Schema.Array(Schema.Struct({ type: Schema.String, errorCode: Schema.optional(Schema.String) }))
  }))
})

const Contact = Schema.Struct({
  bouncedChannels: Schema.Array(Schema.String),
  optedOut: Schema.Array(Schema.String),
  activities: Schema.Array(Schema.Struct({ kind: Schema.String, title: Schema.String, reason: Schema.NullOr(Schema.String) }))
})

const Suppressions = Schema.Struct({ items: Schema.Array(Schema.Struct({ channel: Schema.String, address: Schema.String, reason: Schema.String })) })

const SenderAccounts = Schema.Struct({ items: Schema.Array(Schema.Struct({ id: Schema.String, sent: Schema.Number, bounced: Schema.Number })) })

const decoded = <A, I>(schema: Schema.Schema<A, I>) => (reply: { readonly status: number; readonly body: unknown }) => {
  expect(reply.status, JSON.stringify(reply.body)).toBe(200)
  return Schema.decodeUnknownSync(schema)(reply.body)
}

layer(contactsService, { excludeTestServices: true })("Twilio's SMS and WhatsApp facts, through the real server", (it) => {
  it.effect("an invalid number bounces the phone channel and suppresses it; 30007 is a filtered send counted against the sender, not an opt-out; WhatsApp receipts land in events", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const sender = unique("sender-")
      const phone = (n: number) => `+1555${String(Date.now()).slice(-5)}${n}`
      const [invalid, filtered, landline, whatsapp] = [phone(1), phone(2), phone(3), phone(4)]
      const imported = decoded(Schema.Struct({ rows: Schema.Array(Schema.Struct({ contactId: Schema.String })) }))(
        yield* call(org, "/contacts/import", { json: [{ phone: invalid }, { phone: filtered }, { phone: landline }, { whatsapp }] })
      ).rows.map((r) => r.contactId)
      const broadcast = decoded(Schema.Struct({ id: Schema.String }))({
        ...(yield* call(org, "/broadcast", { json: { name: "Reminders", category: "transactional", channels: ["sms", "whatsapp"] } })),
        status: 200
      }).id
      const [smsInvalid, smsFiltered, smsLandline, waMessage, inbound] = [unique("SMa"), unique("SMb"), unique("SMc"), unique("SMd"), unique("SMe")] as const
      expect(yield* call(org, `/broadcast/${broadcast}/deliveries`, {
        json: {
          deliveries: [
            { recipient: invalid, channel: "sms", provider: "twilio", providerMessageId: smsInvalid, status: "sent", senderAccountId: sender },
            { recipient: filtered, channel: "sms", provider: "twilio", providerMessageId: smsFiltered, status: "sent", senderAccountId: sender },
            { recipient: landline, channel: "sms", provider: "twilio", providerMessageId: smsLandline, status: "sent", senderAccountId: sender },
            { recipient: whatsapp, channel: "whatsapp", provider: "twilio", providerMessageId: waMessage, status: "sent", senderAccountId: sender }
          ]
        }
      })).toMatchObject({ status: 200, body: { created: 4 } })

      const connection = yield* createConnection(org, "twilio", { authToken: twilioOtherToken })
      const path = `${statusPath}/${connection}?broadcastId=${broadcast}`
      const send = (params: Record<string, string>) => post(path, twilioRequest(twilioOtherToken, path, params))
      for (const params of [
        callback(smsInvalid, invalid, "undelivered", { ErrorCode: "30005" }),
        callback(smsFiltered, filtered, "undelivered", { ErrorCode: "30007" }),
        callback(smsLandline, landline, "failed", { ErrorCode: "21614" }),
        callback(waMessage, `whatsapp:${whatsapp}`, "sent"),
        callback(waMessage, `whatsapp:${whatsapp}`, "delivered"),
        callback(waMessage, `whatsapp:${whatsapp}`, "received"),
        callback(waMessage, `whatsapp:${whatsapp}`, "read")
      ]) expect(yield* send(params)).toEqual({ status: 200, body: { accepted: 1, duplicates: 0 } })
      // An inbound WhatsApp message (it has a Body) posted to the same route is not a receipt: nothing is stored.
      expect(yield* send(callback(inbound, "whatsapp:+15017122661", "received", { Body: "STOP?", NumMedia: "0", From: `whatsapp:${whatsapp}` })))
        .toEqual({ status: 200, body: { accepted: 0, duplicates: 0 } })
      // Bad inputs: an unsigned callback and an unknown status are refused, and change nothing.
      expect(yield* post(path, { body: new URLSearchParams(callback(smsFiltered, filtered, "delivered")).toString(), headers: { "content-type": "application/x-www-form-urlencoded" } }))
        .toMatchObject({ status: 401 })
      expect(yield* send(callback(smsFiltered, filtered, "lost"))).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^MessageStatus/) } })
      yield* (yield* Pipeline).drain

      const rows = new Map(decoded(Report)(yield* call(org, `/broadcast/${broadcast}/report`)).items.map((i) => [i.providerMessageId, i]))
      expect(rows.size).toBe(4)
      expect(rows.get(smsInvalid)).toMatchObject({ status: "failed", errorReason: expect.stringMatching(/unknown destination handset/), events: [{ type: "sent" }, { type: "failed", errorCode: "30005" }] })
      expect(rows.get(smsFiltered)).toMatchObject({ status: "failed", errorReason: "message filtered by Twilio or the carrier", events: [{ type: "sent" }, { type: "failed", errorCode: "30007" }] })
      expect(rows.get(smsLandline)).toMatchObject({ status: "failed", events: [{ type: "sent" }, { type: "failed", errorCode: "21614" }] })
      // One sent (Twilio's own replaced the registration's), the delivery and the device's receipt, then the read.
      expect(rows.get(waMessage)?.events.map((e) => e.type)).toEqual(["sent", "delivered", "delivered", "opened"])
      expect(rows.get(waMessage)?.status).toBe("opened")

      const contact = (id: string) => Effect.map(call(org, `/contacts/${id}`), decoded(Contact))
      const [ofInvalid, ofFiltered, ofLandline, ofWhatsapp] = yield* Effect.forEach(imported, contact)
      for (const bounced of [ofInvalid!, ofLandline!]) {
        expect(bounced.bouncedChannels).toEqual(["sms"])
        expect(bounced.activities).toEqual([expect.objectContaining({ kind: "invalid", title: "SMS number invalid" })])
      }
      expect(ofFiltered).toMatchObject({ bouncedChannels: [], optedOut: [] })
      expect(ofFiltered!.activities).toEqual([{ kind: "blocked", title: "SMS filtered by the carrier", reason: "message filtered by Twilio or the carrier" }])
      expect(ofWhatsapp).toMatchObject({ bouncedChannels: [], optedOut: [], activities: [] })

      const suppressed = decoded(Suppressions)(yield* call(org, "/suppressions?channel=sms"))
      expect(suppressed.items.map((s) => [s.address, s.reason]).sort()).toEqual([[invalid, "invalid"], [landline, "invalid"]].sort())
      const check = yield* call(org, "/suppressions/check", { json: { channel: "sms", addresses: [invalid, filtered, landline], category: "security" } })
      expect(check).toMatchObject({ status: 200, body: { allowed: [filtered], suppressed: [{ address: invalid, reason: "invalid" }, { address: landline, reason: "invalid" }] } })

      const accounts = decoded(SenderAccounts)(yield* call(org, `/admin/sender-accounts?orgId=${org}`, { authorized: false, headers: { authorization: `Bearer ${adminKey}` } }))
      // Four sends; only the filtered one counts against the account (invalid numbers are the recipient's, not the sender's).
      expect(accounts.items.find((a) => a.id === sender)).toMatchObject({ sent: 4, bounced: 1 })
    }))
})
