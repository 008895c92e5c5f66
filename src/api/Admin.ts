import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiMiddleware from "@effect/platform/HttpApiMiddleware"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as HttpApiSecurity from "@effect/platform/HttpApiSecurity"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { DeadLetter } from "../domain/Ingest.js"
import { SenderAccount } from "../domain/Records.js"
import { BadRequest, Conflict, NotFound, Unauthorized, Unprocessable } from "./Errors.js"
import { Flag, PageSize } from "./Params.js"

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
