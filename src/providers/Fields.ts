import { DateTime, ParseResult, Schema } from "effect"
import { Category } from "../domain/Event.js"
import { show } from "./Webhook.js"

export const nonBlank = (expected: string) =>
  Schema.String.pipe(Schema.filter((text) => text.trim() !== "", { message: () => `expected ${expected}` }))

export const NonBlank = nonBlank("a non-empty string")

/** JSON senders often write null for "absent" (Mailgun's `"description": null`): both are accepted and mean the same. */
export const optional = <A, I>(schema: Schema.Schema<A, I>) => Schema.optional(Schema.NullOr(schema))

export const Text = optional(Schema.String)

/** Every failure of `schema`, however deep, reads `expected …, got …`. */
export const expecting = <A, I>(schema: Schema.Schema<A, I>, expected: string): Schema.Schema<A, I> =>
  schema.annotations({ message: (issue) => ({ message: `expected ${expected}, got ${show(issue.actual)}`, override: true }) })

/** A required property whose absence reads `<path> <missing>`. */
export const mandatory = <A, I>(schema: Schema.Schema<A, I>, missing: string) =>
  Schema.propertySignature(schema).annotations({ missingMessage: () => missing })

export const oneOf = (literals: ReadonlyArray<string>) => `one of ${literals.join(", ")}`

const maxEpochSeconds = 8_640_000_000_000 / 1000

export const EpochSeconds = Schema.Number.pipe(
  Schema.filter((n) => Number.isFinite(n) && n >= 0 && n <= maxEpochSeconds, {
    message: (issue) => `expected UNIX seconds, got ${show(issue.actual)}`
  })
)

export const blank = (text: string | null | undefined): text is null | undefined | "" => text == null || text.trim() === ""

/** The text trimmed; none when null, undefined or blank. */
export const trimmed = (text: string | null | undefined): string | undefined => blank(text) ? undefined : text.trim()

const isoInstant = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?\s*(?:Z|([+-])(\d{2})(?::?(\d{2}))?)$/i

/**
 * An ISO-8601 instant with a zone: `T` or a space, seconds and any fraction optional, `Z`, `±hh`, `±hhmm` or
 * `±hh:mm` (SES identity notifications write `…T14:05:45 +0000`, Resend `…23:41:11.894719+00:00`). Parsed by
 * hand: `Date.parse` rolls 2026-02-30 over to March and reads zone-less times as local.
 */
export const parseInstant = (text: string): DateTime.Utc | undefined => {
  const match = isoInstant.exec(text.trim())
  if (match === null) return undefined
  const n = (i: number) => Number(match[i] ?? "0")
  const [year, month, day, hour, minute, second, offsetHours, offsetMinutes] = [n(1), n(2), n(3), n(4), n(5), n(6), n(9), n(10)]
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate()
  const valid = month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && hour <= 23 && minute <= 59 && second <= 59 &&
    offsetHours <= 23 && offsetMinutes <= 59
  if (!valid) return undefined
  const millis = Math.floor(Number(`0${match[7] ?? ""}`) * 1000)
  const offset = (match[8] === "-" ? -1 : 1) * (offsetHours * 60 + offsetMinutes)
  return DateTime.unsafeMake(Date.UTC(year, month - 1, day, hour, minute, second, millis) - offset * 60_000)
}

/** A string field read with `parseInstant`; a failure reads `expected <expected>, got …`. */
export const instant = (expected: string) =>
  Schema.transformOrFail(Schema.String, Schema.DateTimeUtcFromSelf, {
    strict: true,
    decode: (text, _, ast) => {
      const utc = parseInstant(text)
      return utc === undefined
        ? ParseResult.fail(new ParseResult.Type(ast, text, `expected ${expected}, got ${show(text)}`))
        : ParseResult.succeed(utc)
    },
    encode: (utc) => ParseResult.succeed(DateTime.formatIso(utc))
  })

export const Instant = instant("an ISO-8601 date-time with a zone")

const enhancedStatus = String.raw`[245]\.\d{1,3}\.\d{1,3}`
const wholeEnhancedStatus = new RegExp(`^${enhancedStatus}$`)
const enhancedStatusInText = new RegExp(String.raw`(?<![\d.])(${enhancedStatus})(?!\.?\d)`)

/** A field meant to hold an RFC 3463 enhanced status ("5.1.1") holds exactly one. */
export const isEnhancedStatus = (code: string): boolean => wholeEnhancedStatus.test(code)

/** The RFC 3463 enhanced status inside an SMTP reply ("550 5.1.1 …"), not a piece of an IP address or a longer code. */
export const enhancedStatusIn = (text: string | null | undefined): string | undefined =>
  text == null ? undefined : enhancedStatusInText.exec(text)?.[1]

export const correlationKeys = ["broadcastId", "contactId", "senderAccountId"] as const
export type CorrelationKey = (typeof correlationKeys)[number]
export type Correlation = Partial<Record<CorrelationKey, string>>

/** The ids a sender attached to a message, each read by the provider's own rule; null or undefined leaves it out. */
export const correlationOf = (valueOf: (key: CorrelationKey) => string | null | undefined): Correlation =>
  Object.fromEntries(correlationKeys.flatMap((key) => {
    const value = valueOf(key)
    return value == null ? [] : [[key, value]]
  }))

/** Tags as a map (Resend, Postmark metadata) or as `[{ name, value }]` (Resend's send API); non-strings and "" are ignored. */
export const tagsOf = (tags: unknown): ReadonlyMap<string, string> => {
  const pairs: Array<[string, unknown]> = Array.isArray(tags)
    ? tags.flatMap((tag): Array<[string, unknown]> =>
      typeof tag === "object" && tag !== null && "name" in tag && typeof tag.name === "string" ? [[tag.name, "value" in tag ? tag.value : undefined]] : []
    )
    : typeof tags === "object" && tags !== null ? Object.entries(tags) : []
  return new Map(pairs.flatMap(([name, value]): Array<[string, string]> => typeof value === "string" && value !== "" ? [[name, value]] : []))
}

const isCategory = Schema.is(Category)

/** broadcastId / contactId / senderAccountId, and a `category` Sendtrail knows, from tags or metadata. */
export const idsOf = (tags: ReadonlyMap<string, string>) => {
  const category = tags.get("category")
  return { ids: correlationOf((key) => tags.get(key)), category: isCategory(category) ? { category } : {} }
}
