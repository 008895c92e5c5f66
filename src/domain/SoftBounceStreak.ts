/**
 * "N soft bounces in a row since the last delivery" as a function of the set of an address's events,
 * not of the order they arrive in. An address that has soft-bounced keeps a timeline of its soft
 * bounces, deliveries and hard bounces sorted by occurrence; a run is the soft bounces between two
 * deliveries, and every run that reaches the threshold escalates to a hard bounce. A late delivery
 * that splits a run below the threshold withdraws that escalation, so every arrival order ends alike.
 */

/** s: soft bounce, d: delivered, h: hard bounce (not a policy rejection). */
export type Mark = "s" | "d" | "h"

export interface TimelineEntry {
  readonly at: number
  readonly key: string
  readonly mark: Mark
  readonly deliveryId: number
}

export type Timeline = ReadonlyArray<TimelineEntry>

/** A run of soft bounces that reached the threshold, named by the delivery before it ("" before any). */
export interface Escalation {
  readonly run: string
  /** The run's threshold-th soft bounce: its time and delivery date the escalation. */
  readonly at: number
  readonly key: string
  readonly deliveryId: number
}

/** Only what an address ever needs: a bound keeps a pathological address from growing without end. */
export const maxTimeline = 1_000

const before = (a: TimelineEntry, b: TimelineEntry) => a.at < b.at || (a.at === b.at && a.key < b.key)

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

export const hasHardBounce = (timeline: Timeline): boolean => timeline.some((e) => e.mark === "h")

/** What an address's new events change: escalations to record or withdraw, and its bounced state. */
export interface StreakChange {
  readonly recorded: ReadonlyArray<Escalation>
  readonly withdrawn: ReadonlyArray<Escalation>
  /** true: newly escalated (suppress, mark bounced); false: no longer bounced (lift both); null: as it was. */
  readonly bounced: boolean | null
}

export const change = (previous: Timeline, next: Timeline, threshold: number): StreakChange => {
  const was = escalations(previous, threshold)
  const now = escalations(next, threshold)
  const same = (a: Escalation, b: Escalation) => a.run === b.run && a.key === b.key
  const recorded = now.filter((e) => !was.some((w) => same(w, e)))
  const withdrawn = was.filter((w) => !now.some((e) => e.run === w.run))
  const bounced = was.length === 0 && now.length > 0 ? true
    : was.length > 0 && now.length === 0 && !hasHardBounce(next) ? false
    : null
  return { recorded, withdrawn, bounced }
}
