import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { Category, Channel, limits, maxBytes } from "../domain/Event.js"
import { BadRequest, Forbidden, NotFound, Overloaded, ServiceUnavailable, Unauthorized } from "./Errors.js"
import { OrgAuth } from "./OrgAuth.js"

const deliveryId = Schema.Int.pipe(Schema.positive())

export const RenderRequest = Schema.Struct({
  deliveryId: Schema.optional(deliveryId),
  broadcastId: Schema.optional(Schema.NonEmptyTrimmedString),
  recipient: Schema.optional(Schema.NonEmptyTrimmedString),
  channel: Schema.optional(Channel),
  html: Schema.String,
  category: Schema.optional(Category).annotations({ description: "Scopes the unsubscribe to this category; defaults to the broadcast's" })
}).annotations({ description: "The delivery by deliveryId, or by broadcastId, recipient and channel together" })

export const Rendered = Schema.Struct({
  html: Schema.String,
  headers: Schema.Struct({
    "List-Unsubscribe": Schema.String,
    "List-Unsubscribe-Post": Schema.Literal("List-Unsubscribe=One-Click")
  }),
  unsubscribeUrl: Schema.String,
  pixelUrl: Schema.String
})

export const AnalyticsEvent = Schema.Struct({
  deliveryId: Schema.optional(deliveryId),
  token: Schema.optional(Schema.NonEmptyTrimmedString.pipe(maxBytes(limits.text))).annotations({ description: "A tracking token of this org, instead of deliveryId" }),
  type: Schema.Literal("delivered", "opened", "clicked").annotations({ description: "delivered (in_app and push only: shown to the user), opened (read), clicked (tapped)" }),
  url: Schema.optional(Schema.NonEmptyTrimmedString.pipe(maxBytes(limits.url))),
  at: Schema.optional(Schema.DateTimeUtc).annotations({ description: "ISO 8601; defaults to now" })
})

/** Endpoints are added above `.middleware(OrgAuth)` (it covers only those added before it); handlers live in TrackingOrgHttp.ts. */
export class TrackingOrgApi extends HttpApiGroup.make("trackingOrg")
  .add(
    HttpApiEndpoint.post("render", "/tracking/render")
      .setPayload(RenderRequest)
      .addSuccess(Rendered)
      .addError(BadRequest)
      .addError(NotFound)
      .addError(ServiceUnavailable)
      .annotate(OpenApi.Summary, "One recipient's copy of a mail made trackable: links through the click endpoint, the open pixel, the unsubscribe link and RFC 8058 headers")
  )
  .add(
    HttpApiEndpoint.post("analyticsEvent", "/repository/create/analytics_event")
      .setPayload(AnalyticsEvent)
      .addSuccess(Schema.Struct({ accepted: Schema.Literal(true) }), { status: 202 })
      .addError(BadRequest)
      .addError(NotFound)
      .addError(ServiceUnavailable)
      .addError(Overloaded)
      .annotate(OpenApi.Summary, "An app reports a push notification or an in-app message shown (delivered), opened (read) or tapped (clicked); answered after the inbox commit")
  )
  .middleware(OrgAuth)
  .addError(Unauthorized)
  .addError(Forbidden) {}
