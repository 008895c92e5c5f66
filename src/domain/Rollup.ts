import { Schema } from "effect"
import { Channel } from "./Event.js"

/** The counter columns of rollup_broadcast and rollup_daily. */
export const RollupCounter = Schema.Literal(
  "sent",
  "delivered",
  "opened",
  "opened_total",
  "opened_human",
  "clicked",
  "clicked_total",
  "clicked_human",
  "bounced",
  "soft_bounced",
  "complained",
  "unsubscribed",
  "failed",
  "delivery_ms_total",
  "delivery_ms_count"
)
export type RollupCounter = typeof RollupCounter.Type
export const rollupCounters: ReadonlyArray<RollupCounter> = RollupCounter.literals

export const Counters = Schema.Record({ key: RollupCounter, value: Schema.Number })
export type Counters = typeof Counters.Type

export const emptyCounters: Counters = {
  sent: 0, delivered: 0, opened: 0, opened_total: 0, opened_human: 0, clicked: 0, clicked_total: 0,
  clicked_human: 0, bounced: 0, soft_bounced: 0, complained: 0, unsubscribed: 0, failed: 0,
  delivery_ms_total: 0, delivery_ms_count: 0
}

export const makeCounters = (value: (counter: RollupCounter) => number): Counters => {
  const counters: { -readonly [K in RollupCounter]: number } = { ...emptyCounters }
  for (const counter of rollupCounters) counters[counter] = value(counter)
  return counters
}

export const addCounters = (counters: Counters, deltas: Partial<Counters>): Counters =>
  makeCounters((counter) => counters[counter] + (deltas[counter] ?? 0))

export const DailyRollup = Schema.Struct({
  /** The UTC date, YYYY-MM-DD. */
  day: Schema.String,
  channel: Channel,
  counters: Counters
})
export type DailyRollup = typeof DailyRollup.Type

/** The costs of deliveries in one unit (a currency code, credits, …): units are never added together. */
export const CostTotal = Schema.Struct({
  unit: Schema.String,
  total: Schema.String.annotations({ description: "the exact decimal sum, as a string (e.g. \"0.0158\")" }),
  count: Schema.Number.annotations({ description: "deliveries whose cost the total sums" })
})
export type CostTotal = typeof CostTotal.Type

/** One delivery's cost to count: on its UTC date (YYYY-MM-DD), `value` a decimal string. */
export interface CostIncrement {
  readonly orgId: string
  readonly broadcastId: string | null
  readonly channel: Channel
  readonly day: string
  readonly unit: string
  readonly value: string
}
