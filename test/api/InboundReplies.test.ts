import { expect, layer } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { call, contactsService } from "../support/contactsApi.js"
import { createConnection, post, unique } from "../support/providerRoutes.js"
import { twilioOtherToken, twilioRequest } from "../support/signing.js"

const emptyTwiml = `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`

/** An incoming message as Twilio posts it to the org's messaging webhook. */
const incoming = (from: string, body: string, extra: Record<string, string> = {}) => ({
  AccountSid: "AC0123456789abcdef0123456789abcdef", MessageSid: unique("SM"), From: from, To: "+15017122661", Body: body, ...extra
})

/** A private chat's text message, as Telegram posts it to a bot's webhook. */
const telegramMessage = (updateId: number, chatId: number, text: string) => ({
  update_id: updateId,
  message: { message_id: updateId, date: 1_767_225_600, chat: { id: chatId, type: "private", first_name: "Ada" }, from: { id: chatId, is_bot: false, first_name: "Ada" }, text }
})

const Bot = Schema.Struct({ id: Schema.String, webhookUrl: Schema.String, secretToken: Schema.String })

layer(contactsService, { excludeTestServices: true })("a recipient's replies: Twilio's incoming messages, Telegram bot updates", (it) => {
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

  it.effect("Telegram: a bot's updates need its secret; a message reaches the chat's contact, /stop opts the chat out, a repeated update_id changes nothing", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const created = yield* call(org, "/telegram-bots", { json: { name: "@acme_bot", botToken: "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" } })
      expect(created.status, JSON.stringify(created.body)).toBe(201)
      const bot = Schema.decodeUnknownSync(Bot)(created.body)
      const path = new URL(bot.webhookUrl).pathname
      expect(path).toBe(`/api/telegram/webhook/${bot.id}`)
      const send = (update: unknown, secret: string | null = bot.secretToken) =>
        post(path, { body: JSON.stringify(update), headers: { "content-type": "application/json", ...(secret === null ? {} : { "x-telegram-bot-api-secret-token": secret }) } })
      const chat = Number(String(Date.now()).slice(-9))
      const contactOfChat = Effect.gen(function* () {
        const list = (yield* call(org, "/contacts")).body as { items: ReadonlyArray<{ id: string; telegram: string | null }> }
        return list.items.filter((c) => c.telegram === String(chat))
      })
      const suppressed = Effect.map(call(org, "/suppressions/check", { json: { channel: "telegram", addresses: [String(chat)] } }),
        (r) => (r.body as { suppressed: ReadonlyArray<unknown> }).suppressed.length > 0)

      // A wrong or missing secret: 401 naming the header, and nothing stored.
      expect(yield* send(telegramMessage(1, chat, "hello"), "not-the-secret")).toMatchObject({ status: 401, body: { error: "SignatureRejected", message: expect.stringMatching(/^x-telegram-bot-api-secret-token: /) } })
      expect(yield* send(telegramMessage(1, chat, "hello"), null)).toMatchObject({ status: 401 })
      expect(yield* contactOfChat).toEqual([])

      expect(yield* send(telegramMessage(1, chat, "Hello, is my order shipped?"))).toMatchObject({ status: 204 })
      expect(yield* send(telegramMessage(1, chat, "Hello, is my order shipped?"))).toMatchObject({ status: 204 })
      const [contact] = yield* contactOfChat
      expect(contact).toBeDefined()
      expect(yield* send(telegramMessage(2, chat, "/stop@acme_bot"))).toMatchObject({ status: 204 })
      expect(yield* suppressed).toBe(true)
      expect(yield* send(telegramMessage(3, chat, "/start"))).toMatchObject({ status: 204 })
      expect(yield* suppressed).toBe(false)
      // Blocking the bot is an opt-out too.
      expect(yield* send({ update_id: 4, my_chat_member: { chat: { id: chat, type: "private" }, date: 1_767_225_700, from: { id: chat }, old_chat_member: { status: "member" }, new_chat_member: { status: "kicked" } } }))
        .toMatchObject({ status: 204 })
      expect(yield* suppressed).toBe(true)
      // Updates that carry nothing for a contact are acknowledged and change nothing.
      expect(yield* send({ update_id: 5, edited_message: { message_id: 1, date: 1, chat: { id: chat, type: "private" }, text: "edited" } })).toMatchObject({ status: 204 })

      const timeline = ((yield* call(org, `/contacts/${contact!.id}`)).body as { activities: ReadonlyArray<{ kind: string; reason: string | null }> }).activities
      expect(timeline.filter((a) => a.kind === "replied")).toEqual([expect.objectContaining({ reason: "Hello, is my order shipped?" })])
      expect(timeline.map((a) => a.kind).sort()).toEqual(["replied", "resubscribed", "unsubscribed", "unsubscribed"])

      // A body that is not an Update: 400 naming the field; the bot list never shows secrets; another org cannot remove the bot.
      expect(yield* send({ message: { text: "no update id" } })).toMatchObject({ status: 400, body: { error: "PayloadRejected", message: expect.stringMatching(/^update_id /) } })
      const listed = yield* call(org, "/telegram-bots")
      expect(listed.body).toEqual({ items: [{ id: bot.id, name: "@acme_bot", createdAt: expect.any(String) }] })
      expect(yield* call(org, "/telegram-bots", { json: { name: "x", botToken: "not-a-token" } })).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^botToken: /) } })
      expect(yield* call(unique("org-"), `/telegram-bots/${bot.id}`, { method: "DELETE" })).toMatchObject({ status: 404 })
      expect(yield* call(org, `/telegram-bots/${bot.id}`, { method: "DELETE" })).toMatchObject({ status: 204 })
      expect(yield* send(telegramMessage(6, chat, "still there?"))).toMatchObject({ status: 401 })
    }))
})
