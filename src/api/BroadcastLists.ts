import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { broadcastCursor } from "../broadcasts/Broadcasts.js"
import { Channel } from "../domain/Event.js"
import { Counters } from "../domain/Rollup.js"
import { recipientCsvColumns, recipientCursor, RecipientStatus } from "../reports/Recipients.js"
import { BroadcastRecord } from "./Broadcasts.js"
import { BadRequest, Forbidden, NotFound, Unauthorized } from "./Errors.js"
import { OrgAuth } from "./OrgAuth.js"
import { oneOf, PageSize } from "./Params.js"

const id = HttpApiSchema.param("id", Schema.String)

const nextCursor = Schema.NullOr(Schema.String).annotations({ description: "pass as cursor for the next page; null on the last" })

export const BroadcastListParams = Schema.Struct({
  limit: PageSize.annotations({ description: "broadcasts per page" }),
  cursor: Schema.optional(broadcastCursor.Param)
})

export const BroadcastListPage = Schema.Struct({
  items: Schema.Array(Schema.Struct({
    ...BroadcastRecord.fields,
    counters: Schema.NullOr(Counters).annotations({ description: "the broadcast's report counters; null before anything was counted" })
  })),
  nextCursor
})

export const RecipientParams = Schema.Struct({
  channel: Schema.optional(oneOf(Channel, "a channel")),
  status: Schema.optional(oneOf(RecipientStatus, "a list status").annotations({ description: "listed: on the list; removed: taken off it (unsubscribed); absent: both" })),
  pageSize: PageSize.annotations({ description: "recipients per page" }),
  cursor: Schema.optional(recipientCursor.Param)
})

export const Recipient = Schema.Struct({
  channel: Channel,
  address: Schema.String,
  contactId: Schema.NullOr(Schema.String),
  status: RecipientStatus,
  removedAt: Schema.NullOr(Schema.DateTimeUtc).annotations({ description: "when it was taken off the list" }),
  removedReason: Schema.NullOr(Schema.String).annotations({ description: "why, such as unsubscribed" })
})

export const RecipientPage = Schema.Struct({ items: Schema.Array(Recipient), nextCursor })

const csv = HttpApiSchema.Text({ contentType: "text/csv" }).annotations({ description: recipientCsvColumns.join(",") })

/** The org's broadcasts and each one's recipient list, read back. Handlers live in BroadcastListsHttp.ts. */
export class BroadcastListsApi extends HttpApiGroup.make("broadcastLists")
  .add(
    HttpApiEndpoint.get("list", "/broadcast")
      .setUrlParams(BroadcastListParams)
      .addSuccess(BroadcastListPage)
      .addError(BadRequest)
      .annotate(OpenApi.Summary, "The org's broadcasts, newest first, with their report counters, keyset-paged")
  )
  .add(
    HttpApiEndpoint.get("recipients")`/broadcast/${id}/recipients`
      .setUrlParams(RecipientParams)
      .addSuccess(RecipientPage)
      .addError(BadRequest)
      .addError(NotFound)
      .annotate(OpenApi.Summary, "A broadcast's recipient list (retry lists included) by channel and address, keyset-paged")
  )
  .add(
    HttpApiEndpoint.get("recipientsCsv")`/broadcast/${id}/recipients.csv`
      .setUrlParams(RecipientParams.omit("pageSize", "cursor"))
      .addSuccess(csv)
      .addError(BadRequest)
      .addError(NotFound)
      .annotate(OpenApi.Summary, "The broadcast's recipient list as CSV, streamed")
  )
  .middleware(OrgAuth)
  .addError(Unauthorized)
  .addError(Forbidden) {}
