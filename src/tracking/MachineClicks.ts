import type { Delivery } from "../domain/Delivery.js"

/**
 * Clicks that no person made. Security gateways (Microsoft Safe Links, Proofpoint, Mimecast, …) open
 * every link of a message as it arrives, often with an ordinary browser's user agent. Two signs give
 * them away besides the agent: they click within seconds of delivery, and they click several
 * different links of one message at once, faster than anyone reading it could.
 */

/** A click this soon after the message was delivered (or sent, when no delivery was reported). */
export const earlyClickMillis = 10_000
/** Clicks on this many different links of one delivery … */
export const burstLinks = 3
/** … within this long of each other make a burst: the click completing it, and later ones in it, are machine. */
export const burstWindowMillis = 2_000

export interface RecentClick {
  readonly url: string
  readonly at: number
}

export const soonAfterArrival = (delivery: Pick<Delivery, "milestones">, at: number): boolean => {
  const arrived = delivery.milestones.delivered ?? delivery.milestones.sent
  return arrived !== undefined && at < arrived.epochMillis + earlyClickMillis
}

/** The delivery's recent clicks with this one added, and whether this one completes a burst. */
export const addClick = (recent: ReadonlyArray<RecentClick>, click: RecentClick) => {
  const inWindow = recent.filter((c) => click.at - c.at < burstWindowMillis)
  const links = new Set([...inWindow.map((c) => c.url), click.url])
  return { recent: [...inWindow, click], burst: links.size >= burstLinks }
}

/**
 * Recent clicks by delivery, in this process only (a burst split across instances can go unseen; the
 * other signs still hold). At most once a window, deliveries whose last click has left it are dropped,
 * so the map holds only the last few seconds' clicks.
 */
export const makeClickBursts = () => {
  const byDelivery = new Map<number, ReadonlyArray<RecentClick>>()
  let sweptAt = 0
  const sweep = (now: number) => {
    if (now - sweptAt < burstWindowMillis) return
    sweptAt = now
    for (const [id, clicks] of byDelivery) {
      const last = clicks[clicks.length - 1]
      if (last === undefined || now - last.at >= burstWindowMillis) byDelivery.delete(id)
    }
  }
  /** Records the click; true when it completes (or continues) a burst. */
  return (deliveryId: number, click: RecentClick): boolean => {
    sweep(click.at)
    const added = addClick(byDelivery.get(deliveryId) ?? [], click)
    byDelivery.set(deliveryId, added.recent)
    return added.burst
  }
}
