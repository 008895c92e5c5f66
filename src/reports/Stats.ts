import type { Counters, DailyRollup } from "../domain/Rollup.js"
import { addCounters, emptyCounters } from "../domain/Rollup.js"

/** Pure date arithmetic, bucketing and rates for the stats endpoints; dates are UTC `YYYY-MM-DD`. */
export type Granularity = "day" | "week" | "month"

const dayMs = 86_400_000

export const toEpochDay = (date: string): number => Math.floor(Date.parse(`${date}T00:00:00Z`) / dayMs)
export const fromEpochDay = (day: number): string => new Date(day * dayMs).toISOString().slice(0, 10)
export const addDays = (date: string, days: number): string => fromEpochDay(toEpochDay(date) + days)

/** A real calendar date in `YYYY-MM-DD`: `2026-02-30` is not one. */
export const isIsoDate = (value: string): boolean =>
  /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) && fromEpochDay(toEpochDay(value)) === value

/** The first day of the bucket holding `date`: itself, its ISO week's Monday, or the 1st of its month. */
export const bucketStart = (date: string, by: Granularity): string => {
  if (by === "day") return date
  if (by === "month") return `${date.slice(0, 7)}-01`
  const day = toEpochDay(date)
  // 1970-01-01 was a Thursday: (day + 3) mod 7 is 0 on Mondays.
  return fromEpochDay(day - (((day + 3) % 7) + 7) % 7)
}

/** The first day of the bucket after the one starting at `start`. */
const nextBucket = (start: string, by: Granularity): string => {
  if (by === "day") return addDays(start, 1)
  if (by === "week") return addDays(start, 7)
  const [year, month] = [Number(start.slice(0, 4)), Number(start.slice(5, 7))]
  return new Date(Date.UTC(year, month, 1)).toISOString().slice(0, 10)
}

export interface Bucket {
  /** The first and last day counted, both included, clipped to the range. */
  readonly start: string
  readonly end: string
}

/** The buckets covering `from`..`to` (both included), oldest first; the first and last are clipped to the range. */
export const bucketsOf = (from: string, to: string, by: Granularity): ReadonlyArray<Bucket> => {
  const buckets: Array<Bucket> = []
  for (let start = bucketStart(from, by); start <= to; start = nextBucket(start, by)) {
    const end = addDays(nextBucket(start, by), -1)
    buckets.push({ start: start < from ? from : start, end: end > to ? to : end })
  }
  return buckets
}

export const bucketCount = (from: string, to: string, by: Granularity): number => bucketsOf(from, to, by).length

/** Sums daily rollups (any channels) into the buckets of the range; days outside the range are left out. */
export const bucketize = (
  rows: ReadonlyArray<DailyRollup>, from: string, to: string, by: Granularity
): ReadonlyArray<Bucket & { readonly counters: Counters }> => {
  const sums = new Map<string, Counters>()
  for (const row of rows) {
    if (row.day < from || row.day > to) continue
    const key = bucketStart(row.day, by)
    sums.set(key, addCounters(sums.get(key) ?? emptyCounters, row.counters))
  }
  return bucketsOf(from, to, by).map((bucket) => ({ ...bucket, counters: sums.get(bucketStart(bucket.start, by)) ?? emptyCounters }))
}

export const sumCounters = (all: ReadonlyArray<Counters>): Counters => all.reduce((total, c) => addCounters(total, c), emptyCounters)

const statColumns = {
  sent: "sent", delivered: "delivered", opened: "opened", openedTotal: "opened_total", openedByHumans: "opened_human",
  clicked: "clicked", clickedTotal: "clicked_total", clickedByHumans: "clicked_human", bounced: "bounced",
  softBounced: "soft_bounced", complained: "complained", unsubscribed: "unsubscribed", failed: "failed"
} as const satisfies Record<string, keyof Counters>
export type StatCounter = keyof typeof statColumns

/** One value per API counter. */
export const perStat = <A>(f: (name: StatCounter, column: keyof Counters) => A): { readonly [K in StatCounter]: A } => ({
  sent: f("sent", statColumns.sent),
  delivered: f("delivered", statColumns.delivered),
  opened: f("opened", statColumns.opened),
  openedTotal: f("openedTotal", statColumns.openedTotal),
  openedByHumans: f("openedByHumans", statColumns.openedByHumans),
  clicked: f("clicked", statColumns.clicked),
  clickedTotal: f("clickedTotal", statColumns.clickedTotal),
  clickedByHumans: f("clickedByHumans", statColumns.clickedByHumans),
  bounced: f("bounced", statColumns.bounced),
  softBounced: f("softBounced", statColumns.softBounced),
  complained: f("complained", statColumns.complained),
  unsubscribed: f("unsubscribed", statColumns.unsubscribed),
  failed: f("failed", statColumns.failed)
})

/** The counters as the API names them, unique and total opens and clicks apart. */
export const statCounters = (c: Counters): StatCounters => perStat((_, column) => c[column])
export type StatCounters = { readonly [K in StatCounter]: number }

/** n / d, and 0 (never NaN, Infinity or null) when d is 0. */
export const ratio = (n: number, d: number): number => d === 0 ? 0 : n / d

export const rates = (c: Counters) => ({
  deliveryRate: ratio(c.delivered, c.sent),
  openRate: ratio(c.opened, c.delivered),
  clickRate: ratio(c.clicked, c.opened),
  bounceRate: ratio(c.bounced, c.sent),
  complaintRate: ratio(c.complained, c.sent)
})
export type Rates = ReturnType<typeof rates>

/** Mean milliseconds from sent to delivered, null when no delivery was timed. */
export const averageDeliveryMs = (c: Counters): number | null =>
  c.delivery_ms_count === 0 ? null : c.delivery_ms_total / c.delivery_ms_count

export interface Change {
  readonly absolute: number
  /** (current - previous) / previous; null when previous is 0. */
  readonly relative: number | null
}

export const change = (current: number, previous: number): Change => ({
  absolute: current - previous,
  relative: previous === 0 ? null : (current - previous) / previous
})

export const changes = (current: StatCounters, previous: StatCounters): { readonly [K in StatCounter]: Change } =>
  perStat((name) => change(current[name], previous[name]))
