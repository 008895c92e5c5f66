import type { SuppressionReason } from "./Records.js"

/**
 * "N soft bounces in a row since the last delivery" as a function of the set of an address's events,
 * not of the order they arrive in. An address that has soft-bounced keeps a timeline of its soft
 * bounces, deliveries and the events that suppress it (hard bounces, complaints, …) sorted by
 * occurrence; a run is the soft bounces between two deliveries, and every run that reaches the
 * threshold escalates to a hard bounce. A late delivery that splits a run below the threshold
 * withdraws that escalation, and the address's suppression falls back to its earliest other cause
 * (or goes), so every arrival order ends alike.
 */

/** s: a soft bounce, d: a delivery, c: an event that suppresses the address on its whole channel (why, and `provider:type`). */
export type Mark =
  | { readonly mark: "s" | "d" }
  | { readonly mark: "c"; readonly reason: SuppressionReason; readonly source: string }

export type TimelineEntry = { readonly at: number; readonly key: string; readonly deliveryId: number } & Mark

export type Timeline = ReadonlyArray<TimelineEntry>

/** A run of soft bounces that reached the threshold, named by the delivery before it ("" before any). */
export interface Escalation {
  readonly run: string
  /** The run's threshold-th soft bounce: its time and delivery date the escalation. */
  readonly at: number
  readonly key: string
  readonly deliveryId: number
}

/** What the address's whole-channel suppression records: its earliest cause. */
export interface Cause {
  readonly at: number
  readonly key: string
  readonly deliveryId: number
  readonly reason: SuppressionReason
  readonly source: string
  readonly streak: boolean
}

/** Only what an address ever needs: a bound keeps a pathological address from growing without end. */
export const maxTimeline = 1_000

const before = (a: { at: number; key: string }, b: { at: number; key: string }) => a.at < b.at || (a.at === b.at && a.key < b.key)

/** The timeline with the new entries merged in order; entries already present (by key) are skipped. */
export const merge = (timeline: Timeline, added: ReadonlyArray<TimelineEntry>): Timeline => {
  const known = new Set(timeline.map((e) => e.key))
  const fresh = added.filter((e) => !known.has(e.key) && (known.add(e.key), true))
  if (fresh.length === 0) return timeline
  const merged = [...timeline, ...fresh].sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0))
  return merged.length > maxTimeline ? merged.slice(merged.length - maxTimeline) : merged
}

export const escalations = (timeline: Timeline, threshold: number): ReadonlyArray<Escalation> => {
  const found: Array<Escalation> = []
  let run = ""
  let count = 0
  for (const entry of timeline) {
    if (entry.mark === "d") {
      run = entry.key
      count = 0
    } else if (entry.mark === "s" && ++count === threshold) {
      found.push({ run, at: entry.at, key: entry.key, deliveryId: entry.deliveryId })
    }
  }
  return found
}

/** A cause that marks the contact's channel bounced by itself: a hard bounce, or a number that cannot receive. */
export const hasHardBounce = (timeline: Timeline): boolean => timeline.some((e) => e.mark === "c" && (e.reason === "bounce" || e.reason === "invalid"))

const earliestCause = (timeline: Timeline, threshold: number): Cause | null => {
  const causes: Array<Cause> = [
    ...timeline.flatMap((e) => e.mark === "c" ? [{ ...e, streak: false }] : []),
    ...escalations(timeline, threshold).map((e) => ({ ...e, reason: "bounce" as const, source: "soft_bounces", streak: true }))
  ]
  return causes.reduce<Cause | null>((first, c) => (first === null || before(c, first) ? c : first), null)
}

/** What an address's new events change. */
export interface StreakChange {
  readonly recorded: ReadonlyArray<Escalation>
  readonly withdrawn: ReadonlyArray<Escalation>
  /** true: newly escalated (mark the contact bounced); false: bounced no more (unmark it); null: as it was. */
  readonly bounced: boolean | null
  /** The suppression's cause, when the one it recorded is no cause any more: the next earliest, or none. */
  readonly replaced: { readonly previous: string; readonly cause: Cause | null } | null
}

export const change = (previous: Timeline, next: Timeline, threshold: number): StreakChange => {
  const was = escalations(previous, threshold)
  const now = escalations(next, threshold)
  const same = (a: Escalation, b: Escalation) => a.run === b.run && a.key === b.key
  const recorded = now.filter((e) => !was.some((w) => same(w, e)))
  const withdrawn = was.filter((w) => !now.some((e) => e.run === w.run))
  const bounced = was.length === 0 && now.length > 0 && !hasHardBounce(previous) ? true
    : was.length > 0 && now.length === 0 && !hasHardBounce(next) ? false
    : null
  const [causeWas, causeNow] = [earliestCause(previous, threshold), earliestCause(next, threshold)]
  // An earlier cause takes over by itself (suppressions keep the earliest); a vanished one must be replaced.
  const vanished = causeWas !== null && causeWas.streak && !now.some((e) => e.key === causeWas.key)
  return { recorded, withdrawn, bounced, replaced: vanished ? { previous: causeWas.key, cause: causeNow } : null }
}
