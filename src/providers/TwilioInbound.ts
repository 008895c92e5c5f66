import { Effect, Schema } from "effect"
import { unstorableField, unstorableMessage } from "../domain/JsonText.js"
import type { InboundReply } from "../domain/Reply.js"
import { NonBlank } from "./Fields.js"
import { fieldsOf, formParams } from "./Twilio.js"
import type { WebhookRequest } from "./Webhook.js"
import { decodeFirst, PayloadRejected, show } from "./Webhook.js"

/** Twilio's default opt-out and opt-in keywords (Advanced Opt-Out may rename them: `OptOutType` says so then). */
const stopWords = new Set(["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"])
const startWords = new Set(["START", "YES", "UNSTOP"])


const Message = Schema.Struct({
  MessageSid: NonBlank,
  From: NonBlank,
  Body: Schema.optionalWith(Schema.String, { default: () => "" }),
  OptOutType: Schema.optional(Schema.String)
})
const decodeMessage = decodeFirst(Message)

const intentOf = (body: string, optOutType: string | undefined): InboundReply["intent"] => {
  const type = optOutType?.trim().toUpperCase()
  if (type === "STOP") return "stop"
  if (type === "START") return "start"
  const word = body.trim().toUpperCase()
  return stopWords.has(word) ? "stop" : startWords.has(word) ? "start" : "other"
}

/** Decodes one form-urlencoded incoming message (Twilio's messaging webhook). */
export const decodeInbound = Effect.fnUntraced(function* (request: WebhookRequest) {
  const params = formParams(request.rawBody)
  const unstorable = unstorableField(params)
  if (unstorable !== undefined) return yield* new PayloadRejected({ path: unstorable, message: `${unstorable}: ${unstorableMessage}` })
  const message = yield* decodeMessage(fieldsOf(params))
  const whatsapp = /^whatsapp:/i.test(message.From)
  const number = message.From.replace(/^whatsapp:/i, "").trim()
  if (!/^\+[1-9]\d{6,14}$/.test(number)) {
    return yield* new PayloadRejected({ path: "From", message: `From: expected a number in E.164 form, got ${show(message.From)}` })
  }
  return {
    sourceKey: `reply:${message.MessageSid}`,
    messageId: message.MessageSid,
    channel: whatsapp ? "whatsapp" : "sms",
    address: number,
    body: message.Body,
    intent: intentOf(message.Body, message.OptOutType)
  } satisfies InboundReply
})
