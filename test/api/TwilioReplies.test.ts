import { expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { call, contactsService } from "../support/contactsApi.js"
import { createConnection, post, unique } from "../support/providerRoutes.js"
import { twilioOtherToken, twilioRequest } from "../support/signing.js"

const emptyTwiml = `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`

/** An incoming message as Twilio posts it to the org's messaging webhook. */
const incoming = (from: string, body: string, extra: Record<string, string> = {}) => ({
  AccountSid: "AC0123456789abcdef0123456789abcdef", MessageSid: unique("SM"), From: from, To: "+15017122661", Body: body, ...extra
})

layer(contactsService, { excludeTestServices: true })("a recipient's replies through Twilio's incoming-message webhook", (it) => {
  it.effect("STOP suppresses the number at once, START lifts only what STOP set, other replies go on the timeline; unsigned is a 401", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const path = `/connect/webhook/twilio/inbound/${yield* createConnection(org, "twilio", { authToken: twilioOtherToken })}`
      const reply = (params: Record<string, string>) => post(path, twilioRequest(twilioOtherToken, path, params))
      const phone = `+1555${String(Date.now()).slice(-6)}`
      const whatsapp = `+1666${String(Date.now()).slice(-6)}`
      const suppressed = (channel: string, address: string) =>
        Effect.map(call(org, "/suppressions/check", { json: { channel, addresses: [address] } }), (r) => (r.body as { suppressed: ReadonlyArray<unknown> }).suppressed.length > 0)
      const imported = yield* call(org, "/contacts/import", { json: [{ phone }] })
      const contactId = (imported.body as { rows: ReadonlyArray<{ contactId: string }> }).rows[0]!.contactId

      expect(yield* reply(incoming(phone, " stop "))).toEqual({ status: 200, body: emptyTwiml })
      expect(yield* suppressed("sms", phone)).toBe(true)
      expect(yield* suppressed("whatsapp", phone)).toBe(false)
      expect(yield* reply(incoming(`whatsapp:${whatsapp}`, "UNSUBSCRIBE"))).toMatchObject({ status: 200 })
      expect(yield* suppressed("whatsapp", whatsapp)).toBe(true)
      expect(yield* suppressed("sms", whatsapp)).toBe(false)

      expect(yield* reply(incoming(phone, "Start"))).toMatchObject({ status: 200 })
      expect(yield* suppressed("sms", phone)).toBe(false)
      // Advanced Opt-Out names its own keywords: OptOutType decides.
      yield* reply(incoming(phone, "arrêt", { OptOutType: "STOP" }))
      expect(yield* suppressed("sms", phone)).toBe(true)

      // A complaint (an operator's entry here) is not the recipient's STOP: their START lifts nothing.
      const other = `+1777${String(Date.now()).slice(-6)}`
      yield* call(org, "/suppressions", { json: { channel: "sms", address: other, reason: "complaint" } })
      yield* reply(incoming(other, "YES"))
      expect(yield* suppressed("sms", other)).toBe(true)

      yield* reply(incoming(phone, "Is the shop open on Sunday?"))
      const contact = (yield* call(org, `/contacts/${contactId}`)).body as { activities: ReadonlyArray<{ kind: string; reason: string | null }> }
      expect(contact.activities.map((a) => a.kind)).toEqual(expect.arrayContaining(["unsubscribed", "resubscribed", "replied"]))
      expect(contact.activities.find((a) => a.kind === "replied")?.reason).toBe("Is the shop open on Sunday?")
      const audit = yield* call(org, `/audit?subject=${encodeURIComponent(`sms:${phone}`)}`)
      expect((audit.body as { items: ReadonlyArray<{ action: string }> }).items.map((e) => e.action)).toEqual(
        expect.arrayContaining(["suppression.added", "suppression.lifted"]))

      const unsigned = yield* post(path, { body: new URLSearchParams(incoming(phone, "START")).toString(), headers: { "content-type": "application/x-www-form-urlencoded" } })
      expect(unsigned.status).toBe(401)
      expect(yield* suppressed("sms", phone)).toBe(true)
      const badFrom = yield* reply(incoming("not-a-number", "STOP"))
      expect(badFrom).toMatchObject({ status: 400, body: { error: "PayloadRejected", message: expect.stringMatching(/^From: /) } })
    }))
})
