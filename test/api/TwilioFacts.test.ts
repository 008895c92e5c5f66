import { expect, layer } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { Pipeline } from "../../src/ingest/Pipeline.js"
import { call, contactsService } from "../support/contactsApi.js"
import { createConnection, post, twilioOtherToken, twilioRequest, unique } from "../support/providerRoutes.js"
import { adminKey } from "../support/signing.js"

const statusPath = "/connect/webhook/twilio/status"

/** A status callback as Twilio posts it (form-urlencoded); `to` may carry the whatsapp: prefix. */
const callback = (messageSid: string, to: string, status: string, extra: Record<string, string> = {}) => ({
  AccountSid: "AC0123456789abcdef0123456789abcdef", ApiVersion: "2010-04-01", From: "+15017122661",
  MessageSid: messageSid, MessageStatus: status, SmsSid: messageSid, SmsStatus: status, To: to, ...extra
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
