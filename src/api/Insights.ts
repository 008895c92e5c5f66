import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { Category, Channel } from "../domain/Event.js"
import { CostTotal } from "../domain/Rollup.js"
import { BadRequest, Forbidden, NotFound, Unauthorized } from "./Errors.js"
import { OrgAuth } from "./OrgAuth.js"

const n = Schema.Number
const StatCounters = Schema.Struct({
  sent: n, delivered: n,
  opened: n.annotations({ description: "unique opens" }), openedTotal: n, openedByHumans: n,
  clicked: n.annotations({ description: "unique clicks" }), clickedTotal: n, clickedByHumans: n,
  bounced: n, softBounced: n, complained: n, unsubscribed: n, failed: n
})
const Rates = Schema.Struct({
  deliveryRate: n.annotations({ description: "delivered / sent; 0 when sent is 0" }),
  openRate: n.annotations({ description: "opened / delivered; 0 when delivered is 0" }),
  clickRate: n.annotations({ description: "clicked / opened; 0 when opened is 0" }),
  bounceRate: n.annotations({ description: "bounced / sent; 0 when sent is 0" }),
  complaintRate: n.annotations({ description: "complained / sent; 0 when sent is 0" })
})
const IsoDate = Schema.String.annotations({ description: "a UTC date, YYYY-MM-DD", jsonSchema: { format: "date" } })
const Costs = Schema.Array(CostTotal).annotations({ description: "the deliveries' costs, one entry per unit (by unit), each delivery's cost counted once" })

/** `category=`: one stream (a broadcast's category, else the event's own, else `transactional`); absent, every stream. */
const CategoryParam = Schema.optional(Category).annotations({
  description: "one stream: transactional, security, billing, product, marketing or an org's own; default every stream"
})
const StreamEcho = Schema.NullOr(Schema.String).annotations({ description: "the category asked for; null for every stream" })

export const StatsSeries = Schema.Struct({
  aggregatedBy: Schema.Literal("day", "week", "month"),
  startDate: IsoDate,
  endDate: IsoDate,
  channel: Schema.NullOr(Channel),
  category: StreamEcho,
  broadcastId: Schema.NullOr(Schema.String),
  note: Schema.NullOr(Schema.String).annotations({ description: "set when the series is not a true time series (broadcastId)" }),
  buckets: Schema.Array(Schema.Struct({
    start: IsoDate.annotations({ description: "first day counted, clipped to the range" }),
    end: IsoDate.annotations({ description: "last day counted, clipped to the range" }),
    counters: StatCounters,
    rates: Rates,
    costs: Costs
  }))
})

const Period = {
  startDate: IsoDate,
  endDate: IsoDate,
  counters: StatCounters,
  rates: Rates,
  averageDeliveryMs: Schema.NullOr(n).annotations({ description: "mean time from sent to delivered; null when none was timed" }),
  costs: Costs
}
const Change = Schema.Struct({
  absolute: n,
  relative: Schema.NullOr(n).annotations({ description: "(current - previous) / previous; null when previous is 0" })
})

const Stream = Schema.Struct({ category: Schema.String, counters: StatCounters, rates: Rates })

export const StatsSummary = Schema.Struct({
  ...Period,
  category: StreamEcho,
  previous: Schema.Struct(Period),
  change: Schema.Struct({
    sent: Change, delivered: Change, opened: Change, openedTotal: Change, openedByHumans: Change, clicked: Change,
    clickedTotal: Change, clickedByHumans: Change, bounced: Change, softBounced: Change, complained: Change,
    unsubscribed: Change, failed: Change
  }),
  streams: Schema.Array(Stream).annotations({ description: "the last 30 days per stream (category), by category" })
})

export const HealthAlert = Schema.Struct({
  metric: Schema.Literal("complaintRate", "deliveryRate", "senderBounceRate", "senderFlagged", "notificationEndpointDisabled"),
  value: n,
  threshold: Schema.NullOr(n).annotations({ description: "null for a flagged sender account or a disabled notification endpoint" }),
  severity: Schema.Literal("warning", "critical"),
  message: Schema.String,
  senderAccountId: Schema.optional(Schema.String),
  endpointId: Schema.optional(Schema.String).annotations({ description: "a notification endpoint disabled after sustained failure, until re-enabled" })
})

export const DeliverabilityHealth = Schema.Struct({
  startDate: IsoDate.annotations({ description: "the UTC date of `from`" }),
  endDate: IsoDate.annotations({ description: "today (UTC)" }),
  from: Schema.String.annotations({ description: "the first hour counted (ISO 8601): the current UTC hour's start less 23 h", jsonSchema: { format: "date-time" } }),
  category: StreamEcho,
  note: Schema.String,
  status: Schema.Literal("ok", "warning", "critical"),
  sent: n,
  rates: Rates,
  thresholds: Schema.Struct({ complaintRateCritical: n, complaintRateWarning: n, deliveryRateWarning: n, senderBounceRate: n }),
  alerts: Schema.Array(HealthAlert),
  streams: Schema.Array(Schema.Struct({
    category: Schema.String,
    status: Schema.Literal("ok", "warning", "critical"),
    sent: n,
    rates: Rates,
    alerts: Schema.Array(HealthAlert).annotations({ description: "the complaint and delivery rate alerts of this stream alone" })
  })).annotations({ description: "each stream (category) watched on its own, by category; `status` is the worst of these and `alerts`" })
})

/** Endpoints are added above `.middleware(OrgAuth)` (it covers only those added before it); handlers live in InsightsHttp.ts. */
export class InsightsApi extends HttpApiGroup.make("insights")
  .add(
    HttpApiEndpoint.get("stats", "/broadcast/stats")
      .setUrlParams(Schema.Struct({
        aggregatedBy: Schema.optional(Schema.Literal("day", "week", "month")).annotations({ description: "default day; weeks start Monday (ISO), months are UTC calendar months" }),
        startDate: Schema.optional(IsoDate).annotations({ description: "default: 29 days before endDate" }),
        endDate: Schema.optional(IsoDate).annotations({ description: "default: today (UTC)" }),
        channel: Schema.optional(Channel),
        category: CategoryParam,
        broadcastId: Schema.optional(Schema.String).annotations({ description: "that broadcast's rollup, as one bucket over the range" })
      }))
      .addSuccess(StatsSeries)
      .addError(BadRequest)
      .addError(NotFound)
      .annotate(OpenApi.Summary, "Counters and rates per day, week or month, from the rollups")
  )
  .add(
    HttpApiEndpoint.get("statsSummary", "/broadcast/stats/summary")
      .setUrlParams(Schema.Struct({ category: CategoryParam }))
      .addSuccess(StatsSummary)
      .addError(BadRequest)
      .annotate(OpenApi.Summary, "The last 30 days against the 30 before: counters, rates, average delivery time and change")
  )
  .add(
    HttpApiEndpoint.get("deliverabilityHealth", "/deliverability/health")
      .setUrlParams(Schema.Struct({ category: CategoryParam }))
      .addSuccess(DeliverabilityHealth)
      .addError(BadRequest)
      .annotate(OpenApi.Summary, "Deliverability alerts over the last 24 h (hourly): complaint and delivery rates, sender accounts' bounce rates and flags")
  )
  .middleware(OrgAuth)
  .addError(Unauthorized)
  .addError(Forbidden) {}
