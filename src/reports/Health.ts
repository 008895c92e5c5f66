import { DateTime } from "effect"
import type { SenderAccount } from "../domain/Records.js"
import { formatPercent } from "../domain/SenderPolicy.js"
import type { Rates } from "./Stats.js"
import { ratio } from "./Stats.js"

/** Rates are fractions (0.001 is 0.1%). A rate exactly at a threshold is within it. */
export const healthThresholds = {
  complaintRateCritical: 0.001,
  complaintRateWarning: 0.0005,
  deliveryRateWarning: 0.95,
  senderBounceRate: 0.03
} as const

export type Severity = "warning" | "critical"

export interface Alert {
  readonly metric: "complaintRate" | "deliveryRate" | "senderBounceRate" | "senderFlagged" | "notificationEndpointDisabled"
  readonly value: number
  /** null for a flagged sender account or a disabled endpoint: the state itself is the alert. */
  readonly threshold: number | null
  readonly severity: Severity
  readonly message: string
  readonly senderAccountId?: string
  readonly endpointId?: string
}

export type SenderSnapshot = Pick<SenderAccount, "id" | "sent" | "bounced" | "flaggedAt" | "flaggedReason">

/** A notification endpoint the dispatcher disabled after sustained failure (named by id: a chat webhook's URL is a secret). */
export interface DisabledEndpoint {
  readonly id: string
  readonly disabledAt: DateTime.Utc
  readonly disabledReason: string | null
}

/** The alerts for the org's recent counts and its sender accounts, most severe first. */
export const healthAlerts = (
  recent: { readonly sent: number } & Pick<Rates, "complaintRate" | "deliveryRate">,
  senders: ReadonlyArray<SenderSnapshot>,
  endpoints: ReadonlyArray<DisabledEndpoint> = [],
  thresholds: typeof healthThresholds = healthThresholds
): ReadonlyArray<Alert> => {
  const alerts: Array<Alert> = []
  const { complaintRate, deliveryRate, sent } = recent
  if (complaintRate > thresholds.complaintRateCritical) {
    alerts.push({
      metric: "complaintRate", value: complaintRate, threshold: thresholds.complaintRateCritical, severity: "critical",
      message: `complaint rate ${formatPercent(complaintRate)} is above ${formatPercent(thresholds.complaintRateCritical)} over ${sent} sends`
    })
  } else if (complaintRate > thresholds.complaintRateWarning) {
    alerts.push({
      metric: "complaintRate", value: complaintRate, threshold: thresholds.complaintRateWarning, severity: "warning",
      message: `complaint rate ${formatPercent(complaintRate)} is above ${formatPercent(thresholds.complaintRateWarning)} over ${sent} sends`
    })
  }
  if (sent > 0 && deliveryRate < thresholds.deliveryRateWarning) {
    alerts.push({
      metric: "deliveryRate", value: deliveryRate, threshold: thresholds.deliveryRateWarning, severity: "warning",
      message: `delivery rate ${formatPercent(deliveryRate)} is below ${formatPercent(thresholds.deliveryRateWarning)} over ${sent} sends`
    })
  }
  for (const sender of senders) {
    if (sender.flaggedAt !== null) {
      alerts.push({
        metric: "senderFlagged", value: 1, threshold: null, severity: "critical", senderAccountId: sender.id,
        message: `sender account ${sender.id} is flagged${sender.flaggedReason === null ? "" : `: ${sender.flaggedReason}`}`
      })
    }
    const bounceRate = ratio(sender.bounced, sender.sent)
    if (bounceRate > thresholds.senderBounceRate) {
      alerts.push({
        metric: "senderBounceRate", value: bounceRate, threshold: thresholds.senderBounceRate, severity: "warning", senderAccountId: sender.id,
        message: `sender account ${sender.id}: bounce rate ${formatPercent(bounceRate)} is above ${formatPercent(thresholds.senderBounceRate)} over ${sender.sent} sends`
      })
    }
  }
  for (const endpoint of endpoints) {
    alerts.push({
      metric: "notificationEndpointDisabled", value: 1, threshold: null, severity: "warning", endpointId: endpoint.id,
      message: `notification endpoint ${endpoint.id} is disabled since ${DateTime.formatIso(endpoint.disabledAt)}${endpoint.disabledReason === null ? "" : `: ${endpoint.disabledReason}`}`
    })
  }
  const rank = (a: Alert) => a.severity === "critical" ? 0 : 1
  return alerts.sort((a, b) => rank(a) - rank(b))
}
