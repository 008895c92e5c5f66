import type { SenderAccount } from "./Records.js"

/** When a sender account's reputation is at risk: rates are fractions (0.03 is 3%). */
export interface SenderPolicy {
  readonly maxBounceRate: number
  readonly maxComplaintRate: number
  readonly minimumSample: number
}

export type SenderCounts = Pick<SenderAccount, "sent" | "delivered" | "bounced" | "complained">

export const rate = (count: number, sent: number): number => sent === 0 ? 0 : count / sent

export const formatPercent = (fraction: number): string => `${(fraction * 100).toFixed(2)}%`

/** Why the counts breach the policy, or null. A rate exactly at its threshold is within it. */
export const breach = (counts: SenderCounts, policy: SenderPolicy): string | null => {
  if (counts.sent < policy.minimumSample) return null
  const bounceRate = rate(counts.bounced, counts.sent)
  if (bounceRate > policy.maxBounceRate) {
    return `bounce rate ${formatPercent(bounceRate)} exceeds ${formatPercent(policy.maxBounceRate)} over ${counts.sent} sends`
  }
  const complaintRate = rate(counts.complained, counts.sent)
  if (complaintRate > policy.maxComplaintRate) {
    return `complaint rate ${formatPercent(complaintRate)} exceeds ${formatPercent(policy.maxComplaintRate)} over ${counts.sent} sends`
  }
  return null
}
