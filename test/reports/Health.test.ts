import { describe, expect, it } from "@effect/vitest"
import { DateTime } from "effect"
import type { SenderSnapshot } from "../../src/reports/Health.js"
import { healthAlerts } from "../../src/reports/Health.js"

const org = (sent: number, complained: number, delivered = sent) => ({
  sent, complaintRate: sent === 0 ? 0 : complained / sent, deliveryRate: sent === 0 ? 0 : delivered / sent
})
const sender = (id: string, sent: number, bounced: number, flagged = false): SenderSnapshot => ({
  id, sent, bounced, flaggedAt: flagged ? DateTime.unsafeMake("2026-11-01T00:00:00Z") : null, flaggedReason: flagged ? "bounce rate 9.00% exceeds 5.00% over 100 sends" : null
})
const metrics = (alerts: ReturnType<typeof healthAlerts>) => alerts.map((a) => `${a.metric}:${a.severity}${a.senderAccountId === undefined ? "" : `:${a.senderAccountId}`}`)

describe("deliverability health thresholds", () => {
  it("exactly 0.1% complaints is a warning, not critical; just above is critical", () => {
    expect(metrics(healthAlerts(org(10_000, 10), []))).toEqual(["complaintRate:warning"])
    expect(metrics(healthAlerts(org(10_000, 11), []))).toEqual(["complaintRate:critical"])
    expect(healthAlerts(org(10_000, 11), [])[0]).toMatchObject({ value: 0.0011, threshold: 0.001, message: "complaint rate 0.11% is above 0.10% over 10000 sends" })
  })

  it("exactly 0.05% complaints raises nothing; just above is a warning", () => {
    expect(healthAlerts(org(10_000, 5), [])).toEqual([])
    expect(metrics(healthAlerts(org(10_000, 6), []))).toEqual(["complaintRate:warning"])
  })

  it("a delivery rate of exactly 95% is fine; below is a warning; nothing sent raises nothing", () => {
    expect(healthAlerts(org(100, 0, 95), [])).toEqual([])
    expect(healthAlerts(org(1000, 0, 949), [])).toEqual([
      { metric: "deliveryRate", value: 0.949, threshold: 0.95, severity: "warning", message: "delivery rate 94.90% is below 95.00% over 1000 sends" }
    ])
    expect(healthAlerts(org(0, 0, 0), [])).toEqual([])
  })

  it("a sender account's bounce rate above 3% is a warning naming it; exactly 3% or nothing sent is not", () => {
    expect(healthAlerts(org(0, 0), [sender("s-at", 100, 3), sender("s-none", 0, 0)])).toEqual([])
    expect(healthAlerts(org(0, 0), [sender("s-over", 1000, 31)])).toEqual([{
      metric: "senderBounceRate", value: 0.031, threshold: 0.03, severity: "warning", senderAccountId: "s-over",
      message: "sender account s-over: bounce rate 3.10% is above 3.00% over 1000 sends"
    }])
  })

  it("each flagged sender account is a critical alert with its reason, listed before warnings", () => {
    const alerts = healthAlerts(org(1000, 0, 900), [sender("a", 100, 0, true), sender("b", 100, 1)])
    expect(metrics(alerts)).toEqual(["senderFlagged:critical:a", "deliveryRate:warning"])
    expect(alerts[0]).toMatchObject({ value: 1, threshold: null, message: "sender account a is flagged: bounce rate 9.00% exceeds 5.00% over 100 sends" })
  })
})
