import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import type { Counters, DailyRollup } from "../../src/domain/Rollup.js"
import { emptyCounters, makeCounters, rollupCounters } from "../../src/domain/Rollup.js"
import {
  addDays, averageDeliveryMs, bucketize, bucketsOf, bucketStart, change, isIsoDate, rates, statCounters, sumCounters, toEpochDay
} from "../../src/reports/Stats.js"

const day = fc.integer({ min: toEpochDay("2020-01-01"), max: toEpochDay("2030-12-31") }).map((d) => new Date(d * 86_400_000).toISOString().slice(0, 10))
const granularity = fc.constantFrom("day" as const, "week" as const, "month" as const)
const counters = fc.array(fc.nat({ max: 1000 }), { minLength: rollupCounters.length, maxLength: rollupCounters.length })
  .map((values): Counters => makeCounters((c) => values[rollupCounters.indexOf(c)] ?? 0))

describe("stats bucketing", () => {
  it("weeks start on Monday and months on the 1st, in UTC", () => {
    expect(bucketStart("2026-11-23", "week")).toBe("2026-11-23") // a Monday
    expect(bucketStart("2026-11-29", "week")).toBe("2026-11-23") // the Sunday after
    expect(bucketStart("2026-01-01", "week")).toBe("2025-12-29")
    expect(bucketStart("2024-02-29", "month")).toBe("2024-02-01")
    expect(bucketStart("2024-02-29", "day")).toBe("2024-02-29")
  })

  it("buckets cover the range exactly, the first and last clipped to it", () => {
    expect(bucketsOf("2026-01-28", "2026-03-02", "month")).toEqual([
      { start: "2026-01-28", end: "2026-01-31" }, { start: "2026-02-01", end: "2026-02-28" }, { start: "2026-03-01", end: "2026-03-02" }
    ])
    expect(bucketsOf("2026-11-25", "2026-12-01", "week")).toEqual([
      { start: "2026-11-25", end: "2026-11-29" }, { start: "2026-11-30", end: "2026-12-01" }
    ])
    expect(bucketsOf("2026-11-25", "2026-11-25", "day")).toEqual([{ start: "2026-11-25", end: "2026-11-25" }])
  })

  it("only real calendar dates are accepted", () => {
    expect(isIsoDate("2024-02-29")).toBe(true)
    expect(isIsoDate("2026-02-29")).toBe(false)
    expect(isIsoDate("2026-2-01")).toBe(false)
    expect(isIsoDate("2026-11-23T00:00:00Z")).toBe(false)
  })

  it.prop("buckets are contiguous, ordered, and together hold every day of the range once", [day, fc.nat({ max: 800 }), granularity], ([from, length, by]) => {
    const to = addDays(from, length)
    const buckets = bucketsOf(from, to, by)
    expect(buckets[0]?.start).toBe(from)
    expect(buckets.at(-1)?.end).toBe(to)
    buckets.forEach((b, i) => {
      expect(b.start <= b.end).toBe(true)
      expect(bucketStart(b.start, by)).toBe(bucketStart(b.end, by))
      const next = buckets[i + 1]
      if (next !== undefined) expect(next.start).toBe(addDays(b.end, 1))
    })
  })

  it.prop("the sum over the buckets equals the total of the days in range", [
    day, fc.nat({ max: 400 }), granularity, fc.array(fc.tuple(fc.integer({ min: -20, max: 420 }), fc.constantFrom("email" as const, "sms" as const), counters), { maxLength: 60 })
  ], ([from, length, by, seeds]) => {
    const to = addDays(from, length)
    const rows: Array<DailyRollup> = seeds.map(([offset, channel, c]) => ({ day: addDays(from, offset), channel, counters: c }))
    const inRange = rows.filter((r) => r.day >= from && r.day <= to).map((r) => r.counters)
    const buckets = bucketize(rows, from, to, by)
    expect(sumCounters(buckets.map((b) => b.counters))).toEqual(sumCounters(inRange))
    expect(buckets).toHaveLength(bucketsOf(from, to, by).length)
  })
})

describe("stats rates", () => {
  it("a zero denominator gives 0, never NaN or null", () => {
    const r = rates(emptyCounters)
    expect(r).toEqual({ deliveryRate: 0, openRate: 0, clickRate: 0, bounceRate: 0, complaintRate: 0 })
    expect(Object.values(rates({ ...emptyCounters, opened: 3, clicked: 2, bounced: 1, complained: 1 })).every(Number.isFinite)).toBe(true)
    expect(averageDeliveryMs(emptyCounters)).toBeNull()
  })

  it("rates divide by their own denominators", () => {
    const c = { ...emptyCounters, sent: 200, delivered: 180, opened: 90, clicked: 9, bounced: 6, complained: 1, delivery_ms_total: 900, delivery_ms_count: 3 }
    expect(rates(c)).toEqual({ deliveryRate: 0.9, openRate: 0.5, clickRate: 0.1, bounceRate: 0.03, complaintRate: 0.005 })
    expect(averageDeliveryMs(c)).toBe(300)
  })

  it.prop("rates are finite and between 0 and 1 when counts are consistent", [counters], ([c]) => {
    const consistent = { ...c, delivered: Math.min(c.delivered, c.sent), bounced: Math.min(c.bounced, c.sent), complained: Math.min(c.complained, c.sent), opened: Math.min(c.opened, c.delivered, c.sent), clicked: Math.min(c.clicked, c.opened, c.delivered, c.sent) }
    for (const value of Object.values(rates(consistent))) {
      expect(Number.isFinite(value) && value >= 0 && value <= 1).toBe(true)
    }
  })

  it("the API counters keep unique and total opens and clicks apart", () => {
    expect(statCounters({ ...emptyCounters, opened: 1, opened_total: 4, opened_human: 1, clicked: 2, clicked_total: 5, clicked_human: 0, soft_bounced: 3 }))
      .toMatchObject({ opened: 1, openedTotal: 4, openedByHumans: 1, clicked: 2, clickedTotal: 5, clickedByHumans: 0, softBounced: 3 })
  })

  it("change is absolute and relative, relative null when the previous value is 0", () => {
    expect(change(15, 10)).toEqual({ absolute: 5, relative: 0.5 })
    expect(change(0, 10)).toEqual({ absolute: -10, relative: -1 })
    expect(change(7, 0)).toEqual({ absolute: 7, relative: null })
    expect(change(0, 0)).toEqual({ absolute: 0, relative: null })
  })
})
