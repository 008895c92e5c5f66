import { DateTime, Option } from "effect"

/** pg hands timestamptz back as Date; the domain speaks DateTime.Utc. */
export const toDateTime = (value: Date): DateTime.Utc => DateTime.unsafeFromDate(value)
export const toDateTimeOrNull = (value: Date | null): DateTime.Utc | null => value === null ? null : toDateTime(value)
export const toDate = (value: DateTime.Utc): Date => DateTime.toDate(value)
export const toDateOrNull = (value: DateTime.Utc | null | undefined): Date | null =>
  value === null || value === undefined ? null : DateTime.toDate(value)

/** Rows of one query, first or none. */
export const first = <A>(rows: ReadonlyArray<A>): Option.Option<A> => Option.fromNullable(rows[0])
