import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiMiddleware from "@effect/platform/HttpApiMiddleware"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as HttpApiSecurity from "@effect/platform/HttpApiSecurity"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { DeadLetter } from "../domain/Ingest.js"
import { UnmatchedEvent, UnmatchedReason } from "../domain/OrgMatch.js"
import { SenderAccount } from "../domain/Records.js"
import { vendorNames } from "../providers/Registry.js"
import { unmatchedCursor } from "../storage/UnmatchedEvents.js"
import { BadRequest, Conflict, NotFound, Unauthorized, Unprocessable } from "./Errors.js"
import { Flag, Instant, oneOf, PageSize } from "./Params.js"

/** `Authorization: Bearer $ADMIN_API_KEY`; with no key configured every admin request is refused. */
export class AdminAuth extends HttpApiMiddleware.Tag<AdminAuth>()("Sendtrail/AdminAuth", {
  failure: Unauthorized,
  security: { bearer: HttpApiSecurity.bearer }
}) {}

const id = HttpApiSchema.param("id", Schema.String)

export const ReplayResult = Schema.Struct({
  id: Schema.Number,
  stage: Schema.Literal("decode", "apply"),
  /** Events put back in the inbox (apply: the one event; decode: what the body decodes to now). */
  requeued: Schema.Number
})

export const ConnectionView = Schema.Struct({
  id: Schema.String,
  orgId: Schema.String,
  vendor: Schema.String,
  /** The names of the secrets it holds; their values are never shown. */
  secrets: Schema.Record({ key: Schema.String, value: Schema.Literal("[redacted]") }),
  createdAt: Schema.DateTimeUtc
})

export const NewConnection = Schema.Struct({
  orgId: Schema.NonEmptyTrimmedString,
  vendor: Schema.String,
  secrets: Schema.Record({ key: Schema.String, value: Schema.Unknown })
})

const Vendor = Schema.String.pipe(Schema.filter((text) => (vendorNames as ReadonlyArray<string>).includes(text))).annotations({
  message: (issue) => ({ message: `'${String(issue.actual)}' is not a provider; expected ${vendorNames.join(", ")}`, override: true }),
  jsonSchema: { type: "string", enum: vendorNames }
})

export const UnmatchedParams = Schema.Struct({
  provider: Schema.optional(Vendor),
  reason: Schema.optional(oneOf(UnmatchedReason, "a reason")),
  from: Schema.optional(Instant.annotations({ description: "ISO 8601; received at or after it" })),
  to: Schema.optional(Instant.annotations({ description: "ISO 8601; received before it" })),
  limit: PageSize.annotations({ description: "events per page" }),
  cursor: Schema.optional(unmatchedCursor.Param)
})

export const UnmatchedPage = Schema.Struct({
  items: Schema.Array(UnmatchedEvent),
  nextCursor: Schema.NullOr(Schema.String).annotations({ description: "pass as cursor for the next page; null on the last" })
})

export class AdminApi extends HttpApiGroup.make("admin")
  .add(
    HttpApiEndpoint.post("createConnection", "/admin/connections")
      .setPayload(NewConnection)
      .addSuccess(ConnectionView, { status: 201 })
      .addError(BadRequest)
      .annotate(OpenApi.Summary, "Register an organisation's account at a provider; its webhooks go to /connect/webhook/{vendor}/{id}")
  )
  .add(
    HttpApiEndpoint.get("connections", "/admin/connections")
      .setUrlParams(Schema.Struct({ orgId: Schema.optional(Schema.String) }))
      .addSuccess(Schema.Struct({ items: Schema.Array(ConnectionView) }))
      .annotate(OpenApi.Summary, "Provider connections, secrets redacted")
  )
  .add(
    HttpApiEndpoint.get("deadLetters", "/admin/dead-letters")
      .setUrlParams(Schema.Struct({
        limit: PageSize,
        includeReplayed: Schema.optionalWith(Flag, { default: () => false })
      }))
      .addSuccess(Schema.Struct({ items: Schema.Array(DeadLetter) }))
      .annotate(OpenApi.Summary, "Bodies that verified but did not decode, and events that kept failing; newest first")
  )
  .add(
    HttpApiEndpoint.post("replayDeadLetter")`/admin/dead-letters/${id}/replay`
      .addSuccess(ReplayResult)
      .addError(NotFound)
      .addError(Conflict)
      .addError(Unprocessable)
      .annotate(OpenApi.Summary, "Re-drive one dead letter through the pipeline (once)")
  )
  .add(
    HttpApiEndpoint.get("inbox", "/admin/inbox")
      .addSuccess(Schema.Struct({
        pending: Schema.Number.annotations({ description: "events stored but not yet applied" }),
        oldestPendingAgeSeconds: Schema.NullOr(Schema.Number)
      }))
      .annotate(OpenApi.Summary, "The ingest backlog: how many events wait to be applied, and for how long")
  )
  .add(
    HttpApiEndpoint.get("unmatched", "/admin/unmatched")
      .setUrlParams(UnmatchedParams)
      .addSuccess(UnmatchedPage)
      .addError(BadRequest)
      .annotate(OpenApi.Summary, "Events from routes that name no org which stayed DEFAULT_ORG_ID's: no other org has a delivery with their provider message id, or several have (ambiguous); newest first, keyset-paged")
  )
  .add(
    HttpApiEndpoint.get("senderAccounts", "/admin/sender-accounts")
      .setUrlParams(Schema.Struct({ orgId: Schema.optional(Schema.String) }))
      .addSuccess(Schema.Struct({ items: Schema.Array(SenderAccount) }))
      .annotate(OpenApi.Summary, "Sender accounts with their counters, rates and flags")
  )
  .add(
    HttpApiEndpoint.post("unflagSenderAccount")`/admin/sender-accounts/${id}/unflag`
      .addSuccess(SenderAccount)
      .addError(NotFound)
      .annotate(OpenApi.Summary, "Clear a sender account's flag; a later breach flags it again")
  )
  .middleware(AdminAuth)
  .addError(Unauthorized) {}
