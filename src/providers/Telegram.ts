import { createHash, timingSafeEqual } from "node:crypto"
import { Effect, Option, Schema } from "effect"
import { jsonTextProblem } from "../domain/JsonText.js"
import type { InboundReply } from "../domain/Reply.js"
import { decodeFirst, parseJson, PayloadRejected } from "./Webhook.js"

const digest = (text: string) => createHash("sha256").update(text).digest()

/** The secret Telegram sent back equals the bot's, compared in constant time (over digests: equal lengths whatever was sent). */
export const sameSecret = (given: string, expected: string): boolean => timingSafeEqual(digest(given), digest(expected))

/** Telegram's ids are integers below 2^52: exact as JavaScript numbers. */
const Id = Schema.Int

const Chat = Schema.Struct({ id: Id, type: Schema.String })

const Message = Schema.Struct({
  message_id: Id,
  date: Id,
  chat: Chat,
  text: Schema.optional(Schema.String),
  caption: Schema.optional(Schema.String)
})

/** A change of the bot's membership in a chat: `kicked` in a private chat means the user blocked the bot. */
const ChatMemberUpdated = Schema.Struct({
  chat: Chat,
  date: Id,
  new_chat_member: Schema.Struct({ status: Schema.String })
})

/** The parts of Telegram's Update (core.telegram.org/bots/api#update) Sendtrail reads; other kinds are acknowledged and ignored. */
const Update = Schema.Struct({
  update_id: Id,
  message: Schema.optional(Message),
  my_chat_member: Schema.optional(ChatMemberUpdated)
})
const decodeUpdate = decodeFirst(Update)

/** `/stop`, `/stop@SomeBot`, `/stop now`: Telegram's command syntax. */
const command = (text: string): string | undefined => /^\/([a-z]+)(?:@\w+)?(?:\s|$)/i.exec(text.trim())?.[1]?.toLowerCase()

const intentOf = (text: string): InboundReply["intent"] => {
  const name = command(text)
  return name === "stop" ? "stop" : name === "start" ? "start" : "other"
}

/**
 * One update sent to an org's bot, as a reply on channel `telegram` addressed by chat id; none for
 * updates that carry nothing for a contact (edits, group joins, callback queries, …). Duplicate
 * `update_id`s give the same `sourceKey`, so replaying one changes nothing.
 */
export const decodeTelegramUpdate = Effect.fnUntraced(function* (botId: string, rawBody: Uint8Array) {
  const problem = jsonTextProblem(rawBody)
  if (problem !== undefined) return yield* new PayloadRejected({ path: "", message: problem })
  const update = yield* decodeUpdate(yield* parseJson(rawBody))
  const sourceKey = `telegram:${botId}:${update.update_id}`
  const reply = (chatId: number, body: string, intent: InboundReply["intent"]): InboundReply =>
    ({ sourceKey, messageId: String(update.update_id), channel: "telegram", address: String(chatId), body, intent })
  if (update.message !== undefined) {
    const body = update.message.text ?? update.message.caption ?? ""
    return Option.some(reply(update.message.chat.id, body, intentOf(body)))
  }
  const member = update.my_chat_member
  if (member !== undefined && member.chat.type === "private" && member.new_chat_member.status === "kicked") {
    return Option.some(reply(member.chat.id, "(blocked the bot)", "stop"))
  }
  return Option.none()
})
