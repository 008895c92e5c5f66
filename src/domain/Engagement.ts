import { DateTime } from "effect"
import type { Channel, NormalizedEvent } from "./Event.js"
import { normalizeAddress } from "./Event.js"
import type { DeliveryState } from "./Projection.js"
import { contactKey } from "./Projection.js"

/** The latest human engagement of an address on a channel among a batch's events. */
export interface Engagement {
  readonly orgId: string
  readonly channel: Channel
  readonly recipient: string
  /** The contact the delivery or event names, as the projection's address effects take it (`contactHint`). */
  readonly contactId: string | null
  readonly at: DateTime.Utc
}

/** A person opened or clicked: an open or click not flagged as a machine's (domain/Machine.ts). */
export const isHumanEngagement = (event: NormalizedEvent): boolean =>
  (event.type === "opened" || event.type === "clicked") && event.details.machine !== true

/**
 * Each address's latest human open or click among a batch's newly applied events: the greatest time
 * wins, so the result (and the row it is raised onto with GREATEST) depends on the set of events, not
 * their order.
 */
export const lastEngagements = (events: ReadonlyArray<{ readonly delivery: DeliveryState; readonly event: NormalizedEvent }>) => {
  const latest = new Map<string, Engagement>()
  for (const { delivery, event } of events) {
    if (!isHumanEngagement(event)) continue
    const key = contactKey(event)
    const seen = latest.get(key)
    if (seen === undefined || DateTime.greaterThan(event.occurredAt, seen.at)) {
      latest.set(key, {
        orgId: event.orgId, channel: event.channel, recipient: normalizeAddress(event.channel, event.recipient),
        contactId: delivery.contactId ?? event.contactId ?? null, at: event.occurredAt
      })
    }
  }
  return [...latest.values()]
}
