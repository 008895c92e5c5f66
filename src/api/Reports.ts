import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { Cost, DeliveryStatus } from "../domain/Delivery.js"
import { Channel, EventDetails, EventType } from "../domain/Event.js"
import { activityCursor } from "../reports/Activity.js"
import { reportCursor } from "../reports/DeliveryReports.js"
import { BadRequest, Forbidden, NotFound, Unauthorized } from "./Errors.js"
import { OrgAuth } from "./OrgAuth.js"
import { Instant, PageSize, Statuses } from "./Params.js"

const id = HttpApiSchema.param("id", Schema.String)
const messageId = HttpApiSchema.param("messageId", Schema.String)

export const ReportParams = Schema.Struct({
  status: Statuses,
  channel: Schema.optional(Channel),
  pageSize: PageSize.annotations({ description: "rows per page" }),
  cursor: Schema.optional(reportCursor.Param)
})

export const ReportEvent = Schema.Struct({ type: EventType, at: Schema.DateTimeUtc, ...EventDetails.fields })

export const ReportDelivery = Schema.Struct({
  broadcastId: Schema.NullOr(Schema.String),
  recipient: Schema.String,
  contactId: Schema.NullOr(Schema.String),
  channel: Channel,
  status: DeliveryStatus.annotations({ description: "the latest milestone" }),
  providerMessageId: Schema.NullOr(Schema.String),
  events: Schema.Array(ReportEvent).annotations({ description: "the full chronology, oldest first" }),
  errorReason: Schema.optional(Schema.String),
  cost: Schema.optional(Cost)
})

export const ReportPage = Schema.Struct({
  items: Schema.Array(ReportDelivery),
  nextCursor: Schema.NullOr(Schema.String).annotations({ description: "null on the last page" })
})

export const ActivityParams = Schema.Struct({
  startDate: Schema.optional(Instant.annotations({ description: "ISO 8601; events at or after it" })),
  endDate: Schema.optional(Instant.annotations({ description: "ISO 8601; events before it" })),
  event: Schema.optional(EventType),
  recipient: Schema.optional(Schema.String),
  limit: PageSize.annotations({ description: "items per page" }),
  cursor: Schema.optional(activityCursor.Param)
})

export const ActivityItem = Schema.Struct({
  broadcastId: Schema.NullOr(Schema.String),
  recipient: Schema.String,
  channel: Channel,
  providerMessageId: Schema.NullOr(Schema.String),
  type: EventType,
  provider: Schema.String,
  providerEventName: Schema.NullOr(Schema.String).annotations({ description: "the provider's own name for the event" }),
  at: Schema.DateTimeUtc,
  details: EventDetails
})

export const ActivityPage = Schema.Struct({ items: Schema.Array(ActivityItem), nextCursor: Schema.NullOr(Schema.String) })

export const MessageActivity = Schema.Struct({
  messageId: Schema.String,
  deliveries: Schema.Array(ReportDelivery),
  events: Schema.Array(Schema.Struct({
    recipient: Schema.String,
    type: EventType,
    provider: Schema.String,
    providerEventName: Schema.NullOr(Schema.String),
    providerEventId: Schema.String,
    at: Schema.DateTimeUtc,
    receivedAt: Schema.DateTimeUtc,
    details: EventDetails
  })).annotations({ description: "the provider event log, oldest first" })
})

const csv = HttpApiSchema.Text({ contentType: "text/csv" }).annotations({
  description: "broadcastId,recipient,contactId,channel,status,providerMessageId,errorReason,costValue,costUnit,firstSentAt,deliveredAt,openedAt,clickedAt,eventCount"
})

/** Endpoints are added above `.middleware(OrgAuth)` (it covers only those added before it); handlers live in ReportsHttp.ts. */
export class ReportsApi extends HttpApiGroup.make("reports")
  .add(
    HttpApiEndpoint.get("report")`/broadcast/${id}/report`
      .setUrlParams(ReportParams)
      .addSuccess(ReportPage)
      .addError(BadRequest)
      .addError(NotFound)
      .annotate(OpenApi.Summary, "A broadcast's delivery rows with their events, keyset-paged")
  )
  .add(
    HttpApiEndpoint.get("reportCsv")`/broadcast/${id}/report.csv`
      .setUrlParams(ReportParams.omit("pageSize", "cursor"))
      .addSuccess(csv)
      .addError(BadRequest)
      .addError(NotFound)
      .annotate(OpenApi.Summary, "The broadcast's report as CSV, streamed")
  )
  .add(
    HttpApiEndpoint.get("activity", "/broadcast/activity")
      .setUrlParams(ActivityParams)
      .addSuccess(ActivityPage)
      .addError(BadRequest)
      .annotate(OpenApi.Summary, "The org's delivery events across broadcasts, newest first")
  )
  .add(
    HttpApiEndpoint.get("messageActivity")`/broadcast/activity/${messageId}`
      .addSuccess(MessageActivity)
      .addError(NotFound)
      .annotate(OpenApi.Summary, "One send: its delivery row(s) and the full provider event log")
  )
  .middleware(OrgAuth)
  .addError(Unauthorized)
  .addError(Forbidden) {}
