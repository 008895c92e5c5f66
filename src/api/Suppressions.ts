import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { Category, Channel } from "../domain/Event.js"
import { SuppressionReason } from "../domain/Records.js"
import { Token } from "../storage/Cursor.js"
import { BadRequest, Forbidden, NotFound, Unauthorized } from "./Errors.js"
import { OrgAuth } from "./OrgAuth.js"
import { PageSize } from "./Params.js"

export const maxCheckedAddresses = 100_000

export const SuppressionView = Schema.Struct({
  channel: Channel,
  address: Schema.String,
  category: Schema.NullOr(Category).annotations({ description: "null: the whole channel; else only mail of that category" }),
  reason: SuppressionReason,
  source: Schema.String,
  metadata: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  createdAt: Schema.DateTimeUtc
})

export const CheckRequest = Schema.Struct({
  channel: Channel,
  addresses: Schema.Array(Schema.String).pipe(
    Schema.minItems(1, { message: () => "expected at least one address" }),
    Schema.maxItems(maxCheckedAddresses, { message: () => `at most ${maxCheckedAddresses} addresses per call` })
  ),
  category: Schema.optional(Category).annotations({
    description: "the category of the message about to be sent; without it only whole-channel suppressions count"
  })
})

export const CheckResult = Schema.Struct({
  allowed: Schema.Array(Schema.String).annotations({ description: "the addresses as given" }),
  suppressed: Schema.Array(Schema.Struct({
    address: Schema.String,
    reason: SuppressionReason,
    category: Schema.NullOr(Category),
    createdAt: Schema.DateTimeUtc
  }))
})

export const NewSuppression = Schema.Struct({
  channel: Channel,
  address: Schema.String,
  reason: Schema.optionalWith(SuppressionReason, { default: () => "admin" as const }),
  category: Schema.optional(Category.pipe(Schema.filter((category) => category !== "security" ||
    "security mail can never be unsubscribed from or suppressed by category; suppress the whole channel (no category) to stop it"))),
  note: Schema.optional(Schema.String.pipe(Schema.maxLength(1000)))
})

const Added = (created: boolean, status: number, description: string) =>
  Schema.Struct({ created: Schema.Literal(created), suppression: SuppressionView }).annotations(
    HttpApiSchema.annotations({ status, description })
  )

export const LiftRequest = Schema.Struct({
  reason: Schema.Trim.pipe(Schema.nonEmptyString({ message: () => "say why the suppression is lifted" }), Schema.maxLength(1000))
})

const channel = HttpApiSchema.param("channel", Channel)
const address = HttpApiSchema.param("address", Schema.String)

/** Handlers live in SuppressionsHttp.ts. */
export class SuppressionsApi extends HttpApiGroup.make("suppressions")
  .add(
    HttpApiEndpoint.post("check", "/suppressions/check")
      .setPayload(CheckRequest)
      .addSuccess(CheckResult)
      .annotate(OpenApi.Summary, `Which of up to ${maxCheckedAddresses} addresses may be sent to, and why the others may not (emails compare case-insensitively)`)
  )
  .add(
    HttpApiEndpoint.get("list", "/suppressions")
      .setUrlParams(Schema.Struct({
        channel: Schema.optional(Channel),
        reason: Schema.optional(SuppressionReason),
        cursor: Schema.optional(Token),
        limit: PageSize
      }))
      .addSuccess(Schema.Struct({
        items: Schema.Array(SuppressionView),
        nextCursor: Schema.NullOr(Schema.String).annotations({ description: "pass as cursor for the next page; null on the last" })
      }))
      .addError(BadRequest)
      .annotate(OpenApi.Summary, "The org's suppressions, oldest first, a page at a time")
  )
  .add(
    HttpApiEndpoint.post("add", "/suppressions")
      .setPayload(NewSuppression)
      .addSuccess(Added(true, 201, "Added"))
      .addSuccess(Added(false, 200, "Already suppressed: the first suppression and its reason stay"))
      .addError(BadRequest)
      .annotate(OpenApi.Summary, "Suppress an address (reason admin unless given); audited")
  )
  .add(
    HttpApiEndpoint.del("lift")`/suppressions/${channel}/${address}`
      .setPayload(LiftRequest)
      .addSuccess(Schema.Struct({ removed: Schema.Number }))
      .addError(BadRequest)
      .addError(NotFound)
      .annotate(OpenApi.Summary, "Override: lift every suppression of the address on the channel; the body says why; audited")
  )
  .middleware(OrgAuth)
  .addError(Unauthorized)
  .addError(Forbidden) {}
