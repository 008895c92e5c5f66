import type { Channel } from "./Event.js"

/** A recipient's message to one of the org's numbers or bots: an opt-out, an opt-in, or anything else they wrote. */
export interface InboundReply {
  /** Names the message for good: the same message received twice changes nothing the second time. */
  readonly sourceKey: string
  /** The provider's id of the message (Twilio's MessageSid, Telegram's update_id). */
  readonly messageId: string
  readonly channel: Extract<Channel, "sms" | "whatsapp" | "telegram">
  /** The sender's address on the channel, canonical: a number in E.164, a Telegram chat id. */
  readonly address: string
  readonly body: string
  readonly intent: "stop" | "start" | "other"
}
