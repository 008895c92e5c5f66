import { Data, DateTime, Effect, Option } from "effect"
import type { DeliveryStatus } from "../domain/Delivery.js"
import { statusPrecedence } from "../domain/Delivery.js"
import { eventCursor, idCursor } from "./Cursor.js"

/** A query parameter that does not parse; the message names it. */
export class InvalidParam extends Data.TaggedError("InvalidParam")<{ readonly message: string }> {}

const fail = (message: string) => Effect.fail(new InvalidParam({ message }))

/** `sent,delivered`: each must be a delivery status; none given is every status. */
export const parseStatuses = (value: string | undefined): Effect.Effect<ReadonlyArray<DeliveryStatus>, InvalidParam> => {
  if (value === undefined || value.trim() === "") return Effect.succeed([])
  const statuses: Array<DeliveryStatus> = []
  for (const part of value.split(",").map((s) => s.trim())) {
    const status = statusPrecedence.find((s) => s === part)
    if (status === undefined) return fail(`status: '${part}' is not a delivery status; expected ${statusPrecedence.join(", ")}`)
    if (!statuses.includes(status)) statuses.push(status)
  }
  return Effect.succeed(statuses)
}

/** A whole number from 1 to max, or the default when absent. */
export const parseSize = (name: string, value: string | undefined, fallback: number, max: number): Effect.Effect<number, InvalidParam> => {
  if (value === undefined) return Effect.succeed(fallback)
  const n = /^\d{1,9}$/.test(value.trim()) ? Number(value.trim()) : Number.NaN
  return n >= 1 && n <= max ? Effect.succeed(n) : fail(`${name}: expected a whole number from 1 to ${max}, got '${value}'`)
}

export const parseIdCursor = (value: string | undefined): Effect.Effect<number, InvalidParam> =>
  value === undefined ? Effect.succeed(0) : Option.match(idCursor.decode(value), {
    onNone: () => fail(idCursor.bad(value).message),
    onSome: Effect.succeed
  })

export const parseEventCursor = (value: string | undefined) =>
  value === undefined ? Effect.succeed(undefined) : Option.match(eventCursor.decode(value), {
    onNone: () => fail(eventCursor.bad(value).message),
    onSome: (cursor) => Effect.succeed(cursor)
  })

export const parseDate = (name: string, value: string | undefined): Effect.Effect<DateTime.Utc | undefined, InvalidParam> => {
  if (value === undefined) return Effect.succeed(undefined)
  const parsed = Number.isNaN(Date.parse(value)) ? Option.none() : DateTime.make(value)
  return Option.match(parsed, {
    onNone: () => fail(`${name}: expected an ISO 8601 date or time, got '${value}'`),
    onSome: (date) => Effect.succeed(DateTime.toUtc(date))
  })
}
