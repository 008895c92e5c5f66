import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { AddressChannel, Category, Channel } from "../domain/Event.js"
import { SuppressionReason } from "../domain/Records.js"
import { Token } from "../storage/Cursor.js"
import { BadRequest, Forbidden, NotFound, Unauthorized } from "./Errors.js"
import { OrgAuth } from "./OrgAuth.js"
import { sunsetCursor } from "../contacts/Sunset.js"
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

/** ISO 8601 calendar duration (`P12M`, `P1Y6M`, `P90D`, `P26W`): how long without a human open or click. */
export const UnengagedFor = Schema.String.pipe(
  Schema.pattern(/^P(?=\d)(\d{1,4}Y)?(\d{1,4}M)?(\d{1,4}W)?(\d{1,5}D)?$/, { message: () => "expected an ISO 8601 duration of years, months, weeks or days, such as P12M" })
).annotations({ description: "ISO 8601 duration, e.g. P12M" })

const SunsetCategory = Category.annotations({ description: "a marketing-type stream; never security or transactional" })

export const SunsetScheduleBody = Schema.Struct({ channel: AddressChannel, category: SunsetCategory, unengagedFor: UnengagedFor })

const SunsetScheduleView = Schema.Struct({
  channel: AddressChannel,
  category: Schema.String,
  unengagedFor: Schema.String,
  createdBy: Schema.String,
  createdAt: Schema.DateTimeUtc,
  lastRunAt: Schema.NullOr(Schema.DateTimeUtc).annotations({ description: "null until its first run; it runs again a day after" }),
  lastBatchId: Schema.NullOr(Schema.String).annotations({ description: "the batch id of its last run, for DELETE /suppressions/sunset/{batchId}" }),
  lastSuppressed: Schema.NullOr(Schema.Number)
})

export const SunsetRequestBody = Schema.Struct({
  channel: AddressChannel,
  category: SunsetCategory,
  unengagedFor: UnengagedFor,
  dryRun: Schema.optionalWith(Schema.Boolean, { default: () => false }),
  limit: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 1000)), { default: () => 100 }),
  cursor: Schema.optional(sunsetCursor.Param)
})

const SunsetCandidate = Schema.Struct({ contactId: Schema.String, address: Schema.String, lastEngagedAt: Schema.NullOr(Schema.DateTimeUtc) })

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
  .add(
    HttpApiEndpoint.post("sunset", "/suppressions/sunset")
      .setPayload(SunsetRequestBody)
      .addSuccess(Schema.Union(
        Schema.Struct({ dryRun: Schema.Literal(true), count: Schema.Number, items: Schema.Array(SunsetCandidate), nextCursor: Schema.NullOr(Schema.String) }),
        Schema.Struct({ dryRun: Schema.Literal(false), batchId: Schema.String, suppressed: Schema.Number })
      ))
      .addError(BadRequest)
      .annotate(OpenApi.Summary, "Sunset: suppress the contacts with no human open or click for unengagedFor on a marketing-type stream; dryRun says how many and which (paged); a run is audited under one batch id")
  )
  .add(
    HttpApiEndpoint.del("reverseSunset")`/suppressions/sunset/${HttpApiSchema.param("batchId", Schema.String)}`
      .addSuccess(Schema.Struct({ removed: Schema.Number }))
      .addError(NotFound)
      .annotate(OpenApi.Summary, "Reverse a sunset run: lift exactly the suppressions it wrote; audited")
  )
  .add(
    HttpApiEndpoint.put("scheduleSunset", "/suppressions/sunset/schedules")
      .setPayload(SunsetScheduleBody)
      .addSuccess(SunsetScheduleView)
      .addError(BadRequest)
      .annotate(OpenApi.Summary, "Run this sunset every day (one schedule per channel and stream; setting it again changes its unengagedFor); each run is audited under its own batch id, as actor schedule")
  )
  .add(
    HttpApiEndpoint.get("sunsetSchedules", "/suppressions/sunset/schedules")
      .addSuccess(Schema.Struct({ items: Schema.Array(SunsetScheduleView) }))
      .annotate(OpenApi.Summary, "The org's daily sunsets and how each last ran")
  )
  .add(
    HttpApiEndpoint.del("unscheduleSunset")`/suppressions/sunset/schedules/${HttpApiSchema.param("channel", AddressChannel)}/${HttpApiSchema.param("category", Schema.String)}`
      .addSuccess(HttpApiSchema.NoContent)
      .addError(NotFound)
      .annotate(OpenApi.Summary, "Stop a daily sunset (what its runs suppressed stays; reverse a run by its batch id)")
  )
  .middleware(OrgAuth)
  .addError(Unauthorized)
  .addError(Forbidden) {}
