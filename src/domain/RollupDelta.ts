import { DateTime } from "effect"
import type { DeliveryStatus } from "./Delivery.js"
import type { NormalizedEvent } from "./Event.js"
import type { Applied } from "./Lifecycle.js"
import type { Counters, RollupCounter } from "./Rollup.js"

const uniqueCounter: Partial<Record<DeliveryStatus, RollupCounter>> = {
  delivered: "delivered",
  opened: "opened",
  clicked: "clicked",
  failed: "failed",
  bounced: "bounced",
  unsubscribed: "unsubscribed",
  complained: "complained"
}

/**
 * What one newly applied event adds to the rollups. Unique counters follow the milestones reached
 * first; totals count every open and click; `firstByHuman` says this is the delivery's first open
 * (or click) not flagged as a machine's, which the caller knows from the event log.
 */
export const rollupDelta = (event: NormalizedEvent, result: Applied, firstByHuman: boolean): Partial<Counters> => {
  const delta: { -readonly [K in RollupCounter]?: number } = {}
  const add = (counter: RollupCounter, by = 1) => (delta[counter] = (delta[counter] ?? 0) + by)
  if (result.effects.some((e) => e._tag === "CountForSender" && e.metric === "sent")) add("sent")
  for (const milestone of result.firstSeen) {
    const counter = uniqueCounter[milestone]
    if (counter !== undefined) add(counter)
  }
  if (event.type === "opened") {
    add("opened_total")
    if (firstByHuman) add("opened_human")
  }
  if (event.type === "clicked") {
    add("clicked_total")
    if (firstByHuman) add("clicked_human")
  }
  if (event.type === "soft_bounced" || (event.type === "bounced" && event.details.bounceKind === "soft")) add("soft_bounced")
  const { sent, delivered } = result.state.milestones
  if (sent !== undefined && delivered !== undefined && result.firstSeen.some((m) => m === "sent" || m === "delivered")) {
    add("delivery_ms_total", Math.max(0, DateTime.distance(sent, delivered)))
    add("delivery_ms_count")
  }
  return delta
}
