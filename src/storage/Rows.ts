import { DateTime, Effect, Option, Schema } from "effect"

/** The domain speaks DateTime.Utc; pg takes Date parameters. */
export const toDate = (value: DateTime.Utc): Date => DateTime.toDate(value)

/** A result set decoded at once by one row Schema (RowSchemas.ts): a row of another shape fails naming its column. */
export const decodeRows = <A, I>(row: Schema.Schema<A, I>) => Schema.decodeUnknown(Schema.Array(row))

/** The first row of a result set, decoded, or none. */
export const decodeFirst = <A, I>(row: Schema.Schema<A, I>) => {
  const decode = decodeRows(row)
  return (rows: ReadonlyArray<unknown>) => Effect.map(decode(rows.slice(0, 1)), (decoded) => Option.fromNullable(decoded[0]))
}
