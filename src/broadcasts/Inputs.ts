import { Data, Effect, Either, ParseResult, Schema } from "effect"
import { Channel, limits, maxBytes } from "../domain/Event.js"

/** A client's request that does not hold up; the message names the field, as `deliveries[3].channel: …`. */
export class InvalidInput extends Data.TaggedError("InvalidInput")<{ readonly message: string }> {}

export const maxItemsPerCall = 10_000

const Text = Schema.Trim.pipe(Schema.nonEmptyString())
/** Ids fit the indexes they are looked up by (docs/api.md, limits). */
const Id = Text.pipe(maxBytes(limits.id))
/** Clients often send null for "not given". */
const optionalId = Schema.optionalWith(Id, { nullable: true, exact: true })
/** An email address (RFC 5321), a phone number or a push token. */
const Address = Text.pipe(maxBytes(limits.address))

export const DeliveryInput = Schema.Struct({
  recipient: Address,
  channel: Channel,
  provider: Id,
  providerMessageId: Id,
  contactId: optionalId,
  senderAccountId: optionalId,
  status: Schema.optionalWith(Schema.Literal("queued", "sent"), { default: () => "queued" as const }),
  cost: Schema.optionalWith(
    Schema.Struct({ value: Schema.Number.pipe(Schema.finite(), Schema.nonNegative()), unit: Text.pipe(maxBytes(limits.code)) }),
    { nullable: true, exact: true }
  )
})
export type DeliveryInput = typeof DeliveryInput.Type

export const PushError = Schema.Struct({
  /** FCM's `details[].errorCode` (or a legacy / Admin SDK name), or APNs' `reason`. */
  code: Text.pipe(maxBytes(limits.code)),
  message: Schema.optionalWith(Schema.String.pipe(maxBytes(limits.text)), { nullable: true, exact: true }),
  /** The HTTP status (410) or FCM's canonical status ("NOT_FOUND"). */
  status: Schema.optionalWith(Schema.Union(Schema.Number, Schema.String), { nullable: true, exact: true })
})
export type PushError = typeof PushError.Type

export const PushResultInput = Schema.Struct({
  recipient: Address,
  contactId: optionalId,
  provider: Schema.Literal("fcm", "apns"),
  messageId: optionalId,
  success: Schema.optionalWith(Schema.Boolean, { nullable: true, exact: true }),
  error: Schema.optionalWith(PushError, { nullable: true, exact: true })
}).pipe(Schema.filter((r) =>
  (r.success === true) !== (r.error !== undefined) || "expected either success: true or an error, not both nor neither"))
export type PushResultInput = typeof PushResultInput.Type

const formatPath = (path: ReadonlyArray<PropertyKey>) =>
  path.map((key, i) => (typeof key === "number" ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`)).join("")

const expectation = /^Expected (.+), actual (.+)$/s

/** The first problem; a value that matches no member of a union of literals gets one line for all of them. */
const firstProblem = (issues: ReadonlyArray<ParseResult.ArrayFormatterIssue>): ParseResult.ArrayFormatterIssue | undefined => {
  const [first] = issues
  if (first === undefined) return undefined
  const samePath = issues.filter((i) => i.path.length === first.path.length && i.path.every((key, n) => key === first.path[n]))
  const parts = samePath.map((i) => expectation.exec(i.message))
  if (samePath.length < 2 || parts.some((p) => p === null)) return first
  return { ...first, message: `Expected ${parts.map((p) => p![1]).join(" | ")}, actual ${parts[0]![2]}` }
}

/** Decodes `items` (the request's `field`), failing with the first problem named by its path. */
export const decodeItems = <A, I>(field: string, item: Schema.Schema<A, I>, items: ReadonlyArray<unknown>) =>
  Either.match(Schema.decodeUnknownEither(Schema.Array(item))(items), {
    onRight: (decoded): Effect.Effect<ReadonlyArray<A>, InvalidInput> => Effect.succeed(decoded),
    onLeft: (error) => {
      const issue = firstProblem(ParseResult.ArrayFormatter.formatErrorSync(error))
      const message = issue === undefined ? error.message : `${formatPath([field, ...issue.path])}: ${issue.message}`
      return Effect.fail(new InvalidInput({ message }))
    }
  })

/** At most `maxItemsPerCall` items, checked before any is decoded. */
export const withinLimit = (field: string, items: ReadonlyArray<unknown>) =>
  items.length > maxItemsPerCall
    ? Effect.fail(new InvalidInput({ message: `${field}: at most ${maxItemsPerCall} per call, got ${items.length}` }))
    : Effect.void
