import { Either } from "effect"
import type { Channel } from "../domain/Event.js"
import { limits, normalizeAddress } from "../domain/Event.js"

const emailShape = /^[^\s@]+@(?:[^\s@.]+\.)+[^\s@.]{2,}$/
// E.164: a plus, a country code not starting with 0, at most 15 digits in all.
const e164 = /^\+[1-9]\d{6,14}$/
const phoneFormatting = /[\s().-]/g

const show = (value: string) => JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)

/** The address lower-cased, or why it is not one. */
export const checkEmail = (raw: string): Either.Either<string, string> => {
  const address = normalizeAddress("email", raw)
  return address.length <= 254 && emailShape.test(address)
    ? Either.right(address)
    : Either.left(`not an email address: ${show(raw)}`)
}

/** The number in E.164 with spaces, dots, dashes and brackets taken out, or why it is not one. */
export const checkPhone = (raw: string): Either.Either<string, string> => {
  const number = raw.trim().replace(phoneFormatting, "")
  return e164.test(number)
    ? Either.right(number)
    : Either.left(`not a phone number in E.164 form (+ and 7 to 15 digits): ${show(raw)}`)
}

/** An opaque identifier (a push token, an app's user id): any non-empty text within the address limit. */
const checkOpaque = (what: string, raw: string): Either.Either<string, string> => {
  const id = raw.trim()
  if (id === "") return Either.left(`${what} cannot be empty`)
  return new TextEncoder().encode(id).length > limits.address ? Either.left(`${what} is at most ${limits.address} bytes`) : Either.right(id)
}

/** Telegram's chat ids are integers (negative for groups), up to 52 significant bits. */
const telegramChat = /^-?[1-9]\d{0,15}$/

/** The canonical form of an address on a channel. */
export const checkAddress = (channel: Channel, raw: string): Either.Either<string, string> => {
  switch (channel) {
    case "email":
      return checkEmail(raw)
    case "sms":
    case "whatsapp":
      return checkPhone(raw)
    case "push":
      return checkOpaque("a push token", raw)
    case "in_app":
      return checkOpaque("an app user id", raw)
    case "telegram": {
      const chat = raw.trim()
      return telegramChat.test(chat) ? Either.right(chat) : Either.left(`not a Telegram chat id (an integer): ${show(raw)}`)
    }
  }
}
