import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import { ratesOf, sumCounters } from "../../src/dashboard/counters.js"
import { emptyCounters } from "../../src/domain/Rollup.js"
import { rates } from "../../src/reports/Stats.js"

const counters = fc.record({
  sent: fc.nat(1e6), delivered: fc.nat(1e6), opened: fc.nat(1e6), openedTotal: fc.nat(1e6), openedByHumans: fc.nat(1e6),
  clicked: fc.nat(1e6), clickedTotal: fc.nat(1e6), clickedByHumans: fc.nat(1e6), bounced: fc.nat(1e6), softBounced: fc.nat(1e6),
  complained: fc.nat(1e6), unsubscribed: fc.nat(1e6), failed: fc.nat(1e6)
})

describe("the dashboard's sums and rates", () => {
  it.prop("rates of counters are the service's rates of the same counters, zero denominators included", [counters], ([c]) => {
    expect(ratesOf(c)).toEqual(rates({ ...emptyCounters, sent: c.sent, delivered: c.delivered, opened: c.opened, clicked: c.clicked, bounced: c.bounced, complained: c.complained }))
  })

  it.prop("a sum of buckets does not depend on their order", [fc.array(counters, { maxLength: 6 })], ([buckets]) => {
    expect(sumCounters(buckets.toReversed())).toEqual(sumCounters(buckets))
    expect(sumCounters(buckets).sent).toBe(buckets.reduce((n, b) => n + b.sent, 0))
  })
})
