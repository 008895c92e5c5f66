import { createHash } from "node:crypto"
import type { SqlClient } from "@effect/sql/SqlClient"
import { Effect, Schema } from "effect"

const refusal = "not one this listing issued"

/** A page cursor this service did not issue (or one for another listing): every listing refuses it in these words. */
export class InvalidCursor extends Schema.TaggedError<InvalidCursor>()("InvalidCursor", {
  cursor: Schema.String
}) {
  override get message() {
    return `cursor: ${refusal}`
  }
}

/** The cursor as a query parameter sees it: base64url text, refused in InvalidCursor's words when it is not. */
export const Token = Schema.String.pipe(Schema.pattern(/^[A-Za-z0-9_-]+$/)).annotations({
  description: "nextCursor of the previous page",
  message: () => ({ message: refusal, override: true })
})

/**
 * Opaque keyset cursors: base64url of the JSON of the last row's sort key. `Param` is the endpoint's
 * query parameter: a cursor this listing did not issue is refused at decode, the handler gets the key.
 */
export const make = <A, I>(key: Schema.Schema<A, I>) => {
  const cursor = Schema.compose(Schema.StringFromBase64Url, Schema.parseJson(key))
  const decode = Schema.decode(cursor)
  return {
    encode: Schema.encodeSync(cursor),
    decode: (text: string): Effect.Effect<A, InvalidCursor> => Effect.mapError(decode(text), () => new InvalidCursor({ cursor: text })),
    Param: Schema.compose(Token, cursor).annotations({ message: () => ({ message: refusal, override: true }) })
  }
}

/**
 * A keyset cursor bound to the listing it pages: `scope` names the listing and its filter (a broadcast's
 * id, a channel, a date range…), and a cursor issued for another scope is refused like one never issued,
 * rather than paging one filter's rows from a position in another's. The cursor holds a digest of the
 * scope, not the filter values.
 */
export const scoped = <A, I>(listing: string, key: Schema.Schema<A, I>) => {
  const cursor = make(Schema.Struct({ scope: Schema.String, key }))
  const digest = (scope: ReadonlyArray<unknown>) =>
    createHash("sha256").update(JSON.stringify([listing, ...scope])).digest("base64url").slice(0, 16)
  return {
    Param: cursor.Param,
    encode: (scope: ReadonlyArray<unknown>, value: A) => cursor.encode({ scope: digest(scope), key: value }),
    /** The key of a cursor issued for this scope; none without a cursor. */
    keyIn: (scope: ReadonlyArray<unknown>, given: { readonly scope: string; readonly key: A } | undefined): Effect.Effect<A | undefined, InvalidCursor> =>
      given === undefined
        ? Effect.succeed(undefined)
        : given.scope === digest(scope)
        ? Effect.succeed(given.key)
        : Effect.fail(new InvalidCursor({ cursor: cursor.encode(given) }))
  }
}

/** A newest-first keyset: the row's time in whole microseconds since the epoch (PostgreSQL's own precision, as text) and its id. */
export const timeKey = <A, I>(id: Schema.Schema<A, I>) => Schema.Struct({ micros: Schema.String.pipe(Schema.pattern(/^-?\d{1,18}$/)), id })

/**
 * The SQL of a newest-first keyset page over `time` and `id` (columns, as the query names them), with
 * `timeKey` as its cursor: the key for the select list (`micros`), the bound after a page's last key, the
 * order. Read `limit + 1` rows and `cut` them.
 */
export const newestFirst = (sql: SqlClient, time: string, id: string) => ({
  key: sql.unsafe(`(extract(epoch FROM ${time}) * 1000000)::int8::text AS micros`),
  after: (last: { readonly micros: string; readonly id: string | number } | undefined) =>
    last === undefined ? sql`` : sql`AND (${sql.unsafe(time)}, ${sql.unsafe(id)}) < (timestamptz 'epoch' + ${last.micros}::int8 * interval '1 microsecond', ${last.id})`,
  order: sql.unsafe(`ORDER BY ${time} DESC, ${id} DESC`)
})

/** A page of at most `limit` of the `limit + 1` rows read, and the key of its last row when more follow. */
export const cut = <R extends { readonly micros: string; readonly id: string | number }>(
  rows: ReadonlyArray<R>, limit: number
): { readonly items: ReadonlyArray<R>; readonly next: Pick<R, "micros" | "id"> | undefined } => {
  const items = rows.slice(0, limit)
  const last = items[items.length - 1]
  return { items, next: rows.length > limit && last !== undefined ? { micros: last.micros, id: last.id } : undefined }
}
