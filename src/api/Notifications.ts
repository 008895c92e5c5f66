import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { Category, Channel, limits, maxBytes } from "../domain/Event.js"
import { EndpointView } from "../notifications/Endpoints.js"
import { Format, NotificationType, notificationTypes } from "../notifications/Formats.js"
import { Attempt, AttemptOutcome, attemptCursor } from "../notifications/Messages.js"
import { BadRequest, Forbidden, NotFound, Unauthorized } from "./Errors.js"
import { OrgAuth } from "./OrgAuth.js"
import { Instant, PageSize } from "./Params.js"

const atLeastOne = (what: string) => ({ message: () => `expected at least one ${what}; leave the field out for no filter` })
const unique = (items: ReadonlyArray<string>) => new Set(items).size === items.length || "expected no repeats"

const Events = Schema.Array(NotificationType.annotations({
  message: (issue) => ({ message: `'${String(issue.actual)}' is not a notification type; expected ${notificationTypes.join(", ")}`, override: true })
})).pipe(Schema.minItems(1, { message: () => "expected at least one notification type" }), Schema.filter(unique))

export const FilterInput = Schema.Struct({
  broadcastIds: Schema.optional(Schema.Array(Schema.String.pipe(maxBytes(limits.id))).pipe(Schema.minItems(1, atLeastOne("broadcast id")), Schema.maxItems(1000))),
  categories: Schema.optional(Schema.Array(Category).pipe(Schema.minItems(1, atLeastOne("category")), Schema.maxItems(100))),
  channels: Schema.optional(Schema.Array(Channel).pipe(Schema.minItems(1, atLeastOne("channel"))))
}).annotations({ description: "only notifications of these broadcasts, streams and channels (each a list; absent: any); sender and health ones are never filtered" })

const Url = Schema.String.pipe(Schema.maxLength(2048)).annotations({
  description: "http(s); a literal loopback, private, link-local or metadata address is refused unless NOTIFICATION_ALLOWED_HOSTS allows it (names are checked after DNS at each send)"
})
/** The webhook-id of a message. */
const MessageId = Schema.String.pipe(Schema.pattern(/^msg_[0-9a-f]{32}$/)).annotations({
  message: () => ({ message: "expected a message id (msg_ and 32 hex digits), the webhook-id it was sent under", override: true })
})
const Description = Schema.String.pipe(Schema.maxLength(500))

export const NewEndpoint = Schema.Struct({
  url: Url,
  events: Events,
  format: Schema.optionalWith(Format, { default: () => "standard" as const }).annotations({
    description: "standard: Standard Webhooks (signed JSON); slack or discord: an incoming webhook's readable message"
  }),
  filter: Schema.optional(FilterInput),
  description: Schema.optionalWith(Description, { default: () => "" })
})

export const EndpointPatch = Schema.Struct({
  url: Schema.optional(Url),
  events: Schema.optional(Events),
  format: Schema.optional(Format),
  filter: Schema.optional(FilterInput).annotations({ description: "replaces the whole filter; {} removes it" }),
  description: Schema.optional(Description),
  enabled: Schema.optional(Schema.Boolean).annotations({ description: "true re-enables a disabled endpoint (its failure count starts again)" })
})

export const ReplayRequest = Schema.Union(
  Schema.Struct({ messageId: MessageId }),
  Schema.Struct({
    from: Instant.annotations({ description: "messages created at or after it" }),
    to: Instant.annotations({ description: "messages created before it" })
  })
)

const Created = Schema.Struct({
  endpoint: EndpointView,
  secret: Schema.String.annotations({ description: "whsec_…: shown here and on rotation only; verify webhook-signature with it" })
}).annotations(HttpApiSchema.annotations({ status: 201 }))

const id = HttpApiSchema.param("id", Schema.String)

/** An org's outbound notifications (docs/notifications.md). Handlers live in NotificationsHttp.ts. */
export class NotificationsApi extends HttpApiGroup.make("notifications")
  .add(
    HttpApiEndpoint.post("create", "/notification-endpoints")
      .setPayload(NewEndpoint)
      .addSuccess(Created)
      .addError(BadRequest)
      .annotate(OpenApi.Summary, "Register an endpoint: the URL, the notification types it wants, an optional filter and its format; answers its secret once")
  )
  .add(
    HttpApiEndpoint.get("list", "/notification-endpoints")
      .addSuccess(Schema.Struct({ items: Schema.Array(EndpointView) }))
      .annotate(OpenApi.Summary, "The org's endpoints, oldest first")
  )
  .add(
    HttpApiEndpoint.get("get")`/notification-endpoints/${id}`
      .addSuccess(EndpointView)
      .addError(NotFound)
      .annotate(OpenApi.Summary, "One endpoint: its settings and whether it is failing or disabled")
  )
  .add(
    HttpApiEndpoint.patch("update")`/notification-endpoints/${id}`
      .setPayload(EndpointPatch)
      .addSuccess(EndpointView)
      .addError(BadRequest)
      .addError(NotFound)
      .annotate(OpenApi.Summary, "Change an endpoint; enabled: true re-enables one that was disabled")
  )
  .add(
    HttpApiEndpoint.del("remove")`/notification-endpoints/${id}`
      .addSuccess(Schema.Struct({ deleted: Schema.Literal(true) }))
      .addError(NotFound)
      .annotate(OpenApi.Summary, "Delete an endpoint with its messages and log")
  )
  .add(
    HttpApiEndpoint.post("rotateSecret")`/notification-endpoints/${id}/rotate-secret`
      .addSuccess(Schema.Struct({ secret: Schema.String }))
      .addError(NotFound)
      .annotate(OpenApi.Summary, "A new signing secret; the previous one signs beside it for 24 hours")
  )
  .add(
    HttpApiEndpoint.post("test")`/notification-endpoints/${id}/test`
      .addSuccess(Schema.Struct({
        messageId: Schema.String,
        outcome: AttemptOutcome,
        statusCode: Schema.NullOr(Schema.Number),
        latencyMs: Schema.Number,
        error: Schema.NullOr(Schema.String)
      }))
      .addError(NotFound)
      .annotate(OpenApi.Summary, "Send an endpoint.test message now, once (even to a disabled endpoint), and answer how it went; it is in the log")
  )
  .add(
    HttpApiEndpoint.get("deliveries")`/notification-endpoints/${id}/deliveries`
      .setUrlParams(Schema.Struct({
        messageId: Schema.optional(MessageId),
        cursor: Schema.optional(attemptCursor.Param),
        limit: PageSize
      }))
      .addSuccess(Schema.Struct({
        items: Schema.Array(Attempt),
        nextCursor: Schema.NullOr(Schema.String).annotations({ description: "pass as cursor for the next page; null on the last" })
      }))
      .addError(BadRequest)
      .addError(NotFound)
      .annotate(OpenApi.Summary, "The endpoint's delivery log, newest attempt first: outcome, status code, latency, response excerpt, next retry")
  )
  .add(
    HttpApiEndpoint.post("replay")`/notification-endpoints/${id}/replay`
      .setPayload(ReplayRequest)
      .addSuccess(Schema.Struct({ replayed: Schema.Number }))
      .addError(BadRequest)
      .addError(NotFound)
      .annotate(OpenApi.Summary, "Send again one message (by id) or every message created in [from, to), under the same webhook-id")
  )
  .middleware(OrgAuth)
  .addError(Unauthorized)
  .addError(Forbidden) {}
