import { DateTime } from "effect"
import type { Channel, NormalizedEvent } from "./Event.js"
import { eventKey, normalizeAddress } from "./Event.js"
import type { LifecycleState, SideEffect } from "./Lifecycle.js"
import { apply, isSoftBounce, suppressionCause } from "./Lifecycle.js"
import type { Counters, RollupCounter } from "./Rollup.js"
import { rollupDelta } from "./RollupDelta.js"
import type { SenderMetric } from "./Records.js"
import * as Streak from "./SoftBounceStreak.js"

/**
 * The pure core of the pipeline: given the state of the keys a batch touches and the batch's events
 * in inbox order, the changes to write, as sets. No I/O; the lifecycle rules are those of Lifecycle.
 */

/** A delivery row as the projection reads and writes it. */
export interface DeliveryState extends Omit<LifecycleState, "seen"> {
  readonly id: number
  readonly orgId: string
  readonly broadcastId: string | null
  readonly contactId: string | null
  readonly senderAccountId: string | null
  /** Whether an open (a click) not flagged as a machine's is already recorded: unique human counts. */
  readonly humanOpened: boolean
  readonly humanClicked: boolean
}

// Keys join their parts with NUL, which no stored text may hold (domain/JsonText.ts): never ambiguous.

/** Everything about one recipient on one channel is decided together, by one owner at a time. */
export const contactKey = (event: Pick<NormalizedEvent, "orgId" | "channel" | "recipient">): string =>
  `${event.orgId}\u0000${event.channel}\u0000${normalizeAddress(event.channel, event.recipient)}`

/** A delivery row's unique key (org, provider, provider message id, normalized recipient) as one string. */
export const keyRef = (orgId: string, provider: string, providerMessageId: string, recipient: string): string =>
  `${orgId}\u0000${provider}\u0000${providerMessageId}\u0000${recipient}`

/** How an event names its delivery: by id (tracking), or by the provider's message and recipient. */
export const deliveryRef = (event: NormalizedEvent): string =>
  event.deliveryId !== undefined
    ? `#${event.deliveryId}`
    : keyRef(event.orgId, event.provider, event.providerMessageId, normalizeAddress(event.channel, event.recipient))

export interface BatchState {
  /** By `deliveryRef`; every keyed delivery of the batch exists (created before the projection runs). */
  readonly deliveries: ReadonlyMap<string, DeliveryState>
  /** Event keys an earlier batch recorded. */
  readonly applied: ReadonlySet<string>
  /** By `contactKey`: the timelines of addresses that have soft-bounced, including those doing so in this batch. */
  readonly timelines: ReadonlyMap<string, Streak.Timeline>
}

export interface Address {
  readonly orgId: string
  readonly channel: Channel
  /** Normalized. */
  readonly address: string
  /** The sender's own id for the contact, when a delivery or event names one. */
  readonly contactHint: string | null
}

/** What a batch does to contacts, suppressions, activities and broadcast lists; resolved once contacts are known. */
export type AddressEffect = Address & (
  | { readonly _tag: "Event"; readonly event: NormalizedEvent; readonly deliveryId: number; readonly broadcastId: string | null; readonly effect: SideEffect }
  | { readonly _tag: "Escalated"; readonly escalation: Streak.Escalation; readonly threshold: number }
  | { readonly _tag: "Withdrawn"; readonly run: string }
  | { readonly _tag: "Bounced"; readonly bounced: boolean }
  | { readonly _tag: "Replaced"; readonly previous: string; readonly cause: Streak.Cause | null }
)

export interface RollupIncrement {
  readonly orgId: string
  readonly broadcastId: string | null
  readonly channel: Channel
  /** YYYY-MM-DD, UTC. */
  readonly day: string
  /** The UTC hour it falls in, `YYYY-MM-DDTHH:00:00.000Z` (health's rolling 24 h). */
  readonly hour?: string
  /** The event's own category; its delivery's broadcast's, when it has one, wins (RollupRepository). */
  readonly category?: string | null
  readonly counters: Partial<Counters>
}

/** The start of the UTC hour holding `at`, as ISO 8601. */
export const hourOf = (at: DateTime.Utc): string => DateTime.formatIso(DateTime.startOf(at, "hour"))

export type SenderIncrement = { readonly id: string; readonly orgId: string } & { readonly [M in SenderMetric]: number }

export interface TimelineChange extends Address {
  readonly timeline: Streak.Timeline
}

export interface Changes {
  /** Deliveries whose state changed, as they are now. */
  readonly deliveries: ReadonlyArray<DeliveryState>
  /** New events with their delivery, each once (recorded while the state loaded; for the live feed). */
  readonly events: ReadonlyArray<{ readonly deliveryId: number; readonly event: NormalizedEvent }>
  readonly effects: ReadonlyArray<AddressEffect>
  /** Aggregated per org, broadcast, channel and day. */
  readonly rollups: ReadonlyArray<RollupIncrement>
  /** Aggregated per account. */
  readonly senders: ReadonlyArray<SenderIncrement>
  readonly timelines: ReadonlyArray<TimelineChange>
  /** Events that cannot apply (a tracking token naming no delivery of its org), with why. */
  readonly rejected: ReadonlyArray<{ readonly index: number; readonly reason: string }>
}

export const escalationReason = (threshold: number) => `${threshold} soft bounces in a row since the last delivery`

/** Where an event sits on its address's soft-bounce timeline, if it does. */
export const timelineMark = (event: Pick<NormalizedEvent, "type" | "details" | "channel" | "provider">): Streak.Mark | null => {
  if (isSoftBounce(event)) return { mark: "s" }
  if (event.type === "delivered") return { mark: "d" }
  const reason = suppressionCause(event)
  return reason === undefined ? null : { mark: "c", reason, source: `${event.provider}:${event.type}` }
}

/** Applies a batch. `events[i]` are in inbox order; order within the batch changes nothing but which duplicate counts. */
export const project = (state: BatchState, events: ReadonlyArray<NormalizedEvent>, threshold: number): Changes => {
  const deliveries = new Map<number, DeliveryState>()
  const changed = new Set<number>()
  const seen = new Set(state.applied)
  const recorded: Array<{ deliveryId: number; event: NormalizedEvent }> = []
  const effects: Array<AddressEffect> = []
  const rejected: Array<{ index: number; reason: string }> = []
  const rollups = new Map<string, RollupIncrement & { readonly counters: { [K in RollupCounter]?: number } }>()
  const senders = new Map<string, { -readonly [K in keyof SenderIncrement]: SenderIncrement[K] }>()
  const marks = new Map<string, { address: Address; entries: Array<Streak.TimelineEntry> }>()

  events.forEach((raw, index) => {
    const event = { ...raw, recipient: normalizeAddress(raw.channel, raw.recipient) }
    const loaded = state.deliveries.get(deliveryRef(event))
    const delivery = loaded === undefined ? undefined : deliveries.get(loaded.id) ?? loaded
    if (delivery === undefined || delivery.orgId !== event.orgId) {
      rejected.push({ index, reason: `the event names delivery ${event.deliveryId ?? `(${event.provider} message ${event.providerMessageId} to ${event.recipient} on ${event.channel})`}, which is not one of org ${event.orgId}'s` })
      return
    }
    const key = eventKey(event)
    if (seen.has(key)) return
    seen.add(key)
    const result = apply({ ...delivery, seen: new Set() }, event)
    const human = event.details.machine !== true
    const firstByHuman = human && ((event.type === "opened" && !delivery.humanOpened) || (event.type === "clicked" && !delivery.humanClicked))
    deliveries.set(delivery.id, {
      ...delivery, ...result.state,
      humanOpened: delivery.humanOpened || (human && event.type === "opened"),
      humanClicked: delivery.humanClicked || (human && event.type === "clicked")
    })
    // `apply` keeps the milestones object when no milestone moved, and a new decision names its event.
    if (result.state.milestones !== delivery.milestones || result.state.decidedBy !== delivery.decidedBy || firstByHuman) changed.add(delivery.id)
    recorded.push({ deliveryId: delivery.id, event })

    const address: Address = { orgId: event.orgId, channel: event.channel, address: event.recipient, contactHint: delivery.contactId ?? event.contactId ?? null }
    for (const effect of result.effects) {
      if (effect._tag !== "CountForSender") effects.push({ ...address, _tag: "Event", event, deliveryId: delivery.id, broadcastId: delivery.broadcastId, effect })
    }
    const delta = rollupDelta(event, result, firstByHuman)
    const day = DateTime.formatIsoDateUtc(event.occurredAt)
    const hour = hourOf(event.occurredAt)
    const category = event.details.category ?? null
    const rollupKey = `${event.orgId}\u0000${delivery.broadcastId}\u0000${event.channel}\u0000${hour}\u0000${category}`
    const rollup = rollups.get(rollupKey) ?? { orgId: event.orgId, broadcastId: delivery.broadcastId, channel: event.channel, day, hour, category, counters: {} }
    for (const [counter, by] of Object.entries(delta) as Array<[RollupCounter, number]>) rollup.counters[counter] = (rollup.counters[counter] ?? 0) + by
    rollups.set(rollupKey, rollup)
    const senderAccountId = delivery.senderAccountId ?? event.senderAccountId ?? null
    for (const effect of senderAccountId === null ? [] : result.effects) {
      if (effect._tag !== "CountForSender") continue
      const counts = senders.get(senderAccountId!) ?? { id: senderAccountId!, orgId: event.orgId, sent: 0, delivered: 0, bounced: 0, complained: 0 }
      counts[effect.metric]++
      senders.set(counts.id, counts)
    }
    const mark = timelineMark(event)
    const contact = contactKey(event)
    if (mark !== null && state.timelines.has(contact)) {
      const entry = marks.get(contact) ?? { address, entries: [] }
      entry.entries.push({ at: event.occurredAt.epochMillis, key, deliveryId: delivery.id, ...mark })
      marks.set(contact, entry)
    }
  })

  const timelines: Array<TimelineChange> = []
  for (const [contact, { address, entries }] of marks) {
    const previous = state.timelines.get(contact) ?? []
    const next = Streak.merge(previous, entries)
    if (next === previous) continue
    timelines.push({ ...address, timeline: next })
    const change = Streak.change(previous, next, threshold)
    for (const escalation of change.recorded) effects.push({ ...address, _tag: "Escalated", escalation, threshold })
    for (const { run } of change.withdrawn) effects.push({ ...address, _tag: "Withdrawn", run })
    if (change.bounced !== null) effects.push({ ...address, _tag: "Bounced", bounced: change.bounced })
    if (change.replaced !== null) effects.push({ ...address, _tag: "Replaced", ...change.replaced })
  }

  return {
    deliveries: [...changed].map((id) => deliveries.get(id)!),
    events: recorded,
    effects,
    rollups: [...rollups.values()].filter((r) => Object.keys(r.counters).length > 0),
    senders: [...senders.values()],
    timelines,
    rejected
  }
}
