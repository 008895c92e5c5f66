import { expect, it } from "@effect/vitest"
import { histogramLines, makeHistogram, observe, sample } from "../../src/metrics/OpsMetrics.js"

it("label values are escaped and histogram buckets are cumulative, ending with +Inf", () => {
  expect(sample("m", [["reason", "a\"b\\c\nd"]], 2)).toBe("m{reason=\"a\\\"b\\\\c\\nd\"} 2")
  const h = makeHistogram([0.1, 1])
  observe(h, 0.05)
  observe(h, 0.1)
  observe(h, 0.5)
  observe(h, 7)
  expect(histogramLines("lag", [["kind", "x"]], h)).toEqual([
    "lag_bucket{kind=\"x\",le=\"0.1\"} 2",
    "lag_bucket{kind=\"x\",le=\"1\"} 3",
    "lag_bucket{kind=\"x\",le=\"+Inf\"} 4",
    "lag_sum{kind=\"x\"} 7.65",
    "lag_count{kind=\"x\"} 4"
  ])
})
