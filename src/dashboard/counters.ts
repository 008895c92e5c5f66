import type { Counters, Rates } from "./schemas.js"

/** Counters of several buckets added up (the API's counters are plain sums over days). */
export const sumCounters = (all: ReadonlyArray<Counters>): Counters => {
  const total = { sent: 0, delivered: 0, opened: 0, openedTotal: 0, openedByHumans: 0, clicked: 0, clickedTotal: 0, clickedByHumans: 0, bounced: 0, softBounced: 0, complained: 0, unsubscribed: 0, failed: 0 }
  for (const counters of all) for (const key of Object.keys(total) as Array<keyof Counters>) total[key] += counters[key]
  return total
}

const ratio = (numerator: number, denominator: number) => (denominator === 0 ? 0 : numerator / denominator)

/** The API's rate definitions (docs/api.md, "Stats and deliverability health"), for sums it did not compute. */
export const ratesOf = (c: Counters): Rates => ({
  deliveryRate: ratio(c.delivered, c.sent),
  openRate: ratio(c.opened, c.delivered),
  clickRate: ratio(c.clicked, c.opened),
  bounceRate: ratio(c.bounced, c.sent),
  complaintRate: ratio(c.complained, c.sent)
})

/** Opens the service classed as machines' (mail privacy proxies, scanners): every open less the human ones. */
export const machineOpens = (c: Counters) => c.openedTotal - c.openedByHumans
