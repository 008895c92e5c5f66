import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as OpenApi from "@effect/platform/OpenApi"
import { JSONSchema, Schema } from "effect"
import { DeliveryInput, maxItemsPerCall, PushResultInput } from "../broadcasts/Inputs.js"
import { DeliveryStatus } from "../domain/Delivery.js"
import { Category, Channel } from "../domain/Event.js"
import { Broadcast } from "../domain/Records.js"
import { Counters } from "../domain/Rollup.js"
import { BadRequest, Forbidden, NotFound, Overloaded, Unauthorized } from "./Errors.js"
import { OrgAuth } from "./OrgAuth.js"

const id = HttpApiSchema.param("id", Schema.String)

export const NewBroadcast = Schema.Struct({
  name: Schema.Trim.pipe(Schema.nonEmptyString(), Schema.maxLength(500)),
  category: Category,
  channels: Schema.optional(Schema.Array(Channel).pipe(Schema.minItems(1, { message: () => "expected at least one channel" })))
    .annotations({ description: 'defaults to ["email"]' })
})

export const BroadcastRecord = Schema.Struct({
  ...Broadcast.fields,
  retryOf: Schema.NullOr(Schema.String).annotations({ description: "the broadcast whose retry list this one is" })
})

export const BroadcastView = Schema.Struct({
  ...BroadcastRecord.fields,
  recipientCount: Schema.Number.annotations({ description: "recipients on the list" }),
  removedRecipientCount: Schema.Number.annotations({ description: "recipients taken off the list (unsubscribed)" }),
  counters: Schema.NullOr(Counters).annotations({ description: "the broadcast's report counters; null before anything was counted" })
})

/** The JSON Schema of what a client sends for `item`, for the OpenAPI document. */
const documented = <A, I>(item: Schema.Schema<A, I>) => {
  const { $schema: _, ...jsonSchema } = JSONSchema.make(Schema.encodedSchema(item))
  return Schema.Unknown.annotations({ jsonSchema })
}

/** Items are decoded by the handler, so a bad one is named as `deliveries[3].channel`; the schema documents them. */
const items = <A, I>(item: Schema.Schema<A, I>, description: string) => Schema.Array(documented(item)).annotations({ description })

export const RegisterDeliveries = Schema.Struct({
  deliveries: items(DeliveryInput, `up to ${maxItemsPerCall} send-time rows; idempotent on (provider, providerMessageId, recipient)`)
})

export const Registered = Schema.Struct({
  created: Schema.Number,
  existing: Schema.Number.annotations({ description: "rows that were there already, answered as they are" }),
  deliveries: Schema.Array(Schema.Struct({
    id: Schema.Number,
    recipient: Schema.String,
    channel: Channel,
    providerMessageId: Schema.NullOr(Schema.String),
    status: DeliveryStatus
  }))
})

export const PushResultsRequest = Schema.Struct({
  results: items(PushResultInput, `up to ${maxItemsPerCall} results of FCM or APNs sends: success: true, or the error`)
})

export const PushSummary = Schema.Struct({
  sent: Schema.Number,
  bounced: Schema.Number.annotations({ description: "dead tokens: the delivery bounced, the token is marked inactive" }),
  failed: Schema.Number.annotations({ description: "other errors: the delivery failed with the error as its reason, the token is kept" }),
  inactiveTokens: Schema.Number,
  accepted: Schema.Number.annotations({ description: "events stored for the pipeline" }),
  duplicates: Schema.Number.annotations({ description: "events stored by an earlier call" }),
  deliveries: Schema.Array(Schema.Struct({
    id: Schema.Number.annotations({ description: "the delivery row: report opens and taps with POST /repository/create/analytics_event" }),
    recipient: Schema.String,
    provider: Schema.Literal("fcm", "apns"),
    providerMessageId: Schema.String,
    outcome: Schema.Literal("sent", "bounced", "failed")
  })).annotations({ description: "one per result, in order; a repeated call answers the same ids" })
})

export const RetryRequest = Schema.Struct({
  statuses: items(DeliveryStatus, "the delivery statuses to retry, such as failed and bounced")
})

export const RetryResult = Schema.Struct({
  broadcast: BroadcastRecord,
  included: Schema.Number,
  excluded: Schema.Struct({
    suppressed: Schema.Number,
    optedOut: Schema.Number,
    bounced: Schema.Number,
    inactiveToken: Schema.Number
  })
})

/** Handlers live in BroadcastsHttp.ts. */
export class BroadcastsApi extends HttpApiGroup.make("broadcasts")
  .add(
    HttpApiEndpoint.post("create", "/broadcast")
      .setPayload(NewBroadcast)
      .addSuccess(BroadcastRecord, { status: 201 })
      .addError(BadRequest)
      .annotate(OpenApi.Summary, "Create a broadcast")
  )
  .add(
    HttpApiEndpoint.get("get")`/broadcast/${id}`
      .addSuccess(BroadcastView)
      .addError(NotFound)
      .annotate(OpenApi.Summary, "A broadcast of the org with its recipient count and report counters")
  )
  .add(
    HttpApiEndpoint.post("registerDeliveries")`/broadcast/${id}/deliveries`
      .setPayload(RegisterDeliveries)
      .addSuccess(Registered)
      .addError(BadRequest)
      .addError(NotFound)
      .annotate(OpenApi.Summary, "Register send-time delivery rows in one transaction; rows registered as sent count for their sender account")
  )
  .add(
    HttpApiEndpoint.post("pushResults")`/broadcast/${id}/push-results`
      .setPayload(PushResultsRequest)
      .addSuccess(PushSummary)
      .addError(BadRequest)
      .addError(NotFound)
      .addError(Overloaded)
      .annotate(OpenApi.Summary, "Report FCM / APNs send results: sent, bounced (dead token, marked inactive) or failed")
  )
  .add(
    HttpApiEndpoint.post("retryList")`/broadcast/${id}/retry-list`
      .setPayload(RetryRequest)
      .addSuccess(RetryResult, { status: 201 })
      .addError(BadRequest)
      .addError(NotFound)
      .annotate(OpenApi.Summary, "A new broadcast for the recipients of deliveries in the statuses, minus the suppressed, opted out and bounced")
  )
  .middleware(OrgAuth)
  .addError(Unauthorized)
  .addError(Forbidden) {}
