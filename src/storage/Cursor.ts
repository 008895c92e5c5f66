import { Effect, Either, Encoding, Schema } from "effect"

/** A page cursor this service did not issue (or one for another listing): every listing refuses it in these words. */
export class InvalidCursor extends Schema.TaggedError<InvalidCursor>()("InvalidCursor", {
  cursor: Schema.String
}) {
  override get message() {
    return "cursor: not one this listing issued"
  }
}

/** Opaque keyset cursors: base64url of the JSON of the last row's sort key. */
export const make = <A, I>(key: Schema.Schema<A, I>) => {
  const json = Schema.parseJson(key)
  const encodeJson = Schema.encodeSync(json)
  const decodeJson = Schema.decodeEither(json)
  return {
    encode: (value: A): string => Encoding.encodeBase64Url(encodeJson(value)),
    decode: (cursor: string): Effect.Effect<A, InvalidCursor> =>
      Encoding.decodeBase64UrlString(cursor).pipe(
        Either.flatMap((text) => decodeJson(text)),
        Either.mapLeft(() => new InvalidCursor({ cursor }))
      )
  }
}
