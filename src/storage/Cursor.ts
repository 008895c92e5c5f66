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
