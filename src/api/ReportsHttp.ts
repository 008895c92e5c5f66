import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect, Layer } from "effect"
import { Activity } from "../reports/Activity.js"
import { DeliveryReports } from "../reports/DeliveryReports.js"
import { parseDate, parseEventCursor, parseIdCursor, parseSize, parseStatuses } from "../reports/Params.js"
import { Api } from "./Api.js"
import { maxPageSize } from "./Reports.js"
import { CurrentOrg } from "./OrgAuth.js"

const badRequest = (e: { readonly message: string }) => Effect.fail({ error: "BadRequest" as const, message: e.message })
const notFound = (e: { readonly message: string }) => Effect.fail({ error: "NotFound" as const, message: e.message })
/** Bad parameters are 400s naming them; another org's broadcast is a 404, the same as none. */
const refusals = { InvalidParam: badRequest, ReportBroadcastNotFound: notFound }

const filterOf = (params: { readonly status?: string | undefined; readonly channel?: "email" | "sms" | "whatsapp" | "push" | undefined }) =>
  Effect.map(parseStatuses(params.status), (statuses) => ({ statuses, channel: params.channel }))

export const ReportsLive = HttpApiBuilder.group(Api, "reports", (handlers) =>
  Effect.gen(function* () {
    const reports = yield* DeliveryReports
    const activity = yield* Activity
    return handlers
      .handle("report", ({ path, urlParams }) =>
        Effect.gen(function* () {
          const { orgId } = yield* CurrentOrg
          const filter = yield* filterOf(urlParams)
          const pageSize = yield* parseSize("pageSize", urlParams.pageSize, 100, maxPageSize)
          const afterId = yield* parseIdCursor(urlParams.cursor)
          return yield* reports.page(orgId, path.id, filter, afterId, pageSize)
        }).pipe(Effect.catchTags(refusals)))
      .handle("reportCsv", ({ path, urlParams }) =>
        Effect.gen(function* () {
          const { orgId } = yield* CurrentOrg
          const body = yield* reports.csv(orgId, path.id, yield* filterOf(urlParams))
          return HttpServerResponse.stream(body, {
            contentType: "text/csv; charset=utf-8",
            headers: { "content-disposition": `attachment; filename="report-${path.id.replace(/[^\w-]/g, "_")}.csv"` }
          })
        }).pipe(Effect.catchTags(refusals)))
      .handle("activity", ({ urlParams }) =>
        Effect.gen(function* () {
          const { orgId } = yield* CurrentOrg
          const filter = {
            startDate: yield* parseDate("startDate", urlParams.startDate),
            endDate: yield* parseDate("endDate", urlParams.endDate),
            event: urlParams.event,
            recipient: urlParams.recipient?.trim().toLowerCase()
          }
          const limit = yield* parseSize("limit", urlParams.limit, 100, maxPageSize)
          return yield* activity.feed(orgId, filter, yield* parseEventCursor(urlParams.cursor), limit)
        }).pipe(Effect.catchTag("InvalidParam", badRequest)))
      .handle("messageActivity", ({ path }) =>
        Effect.flatMap(CurrentOrg, ({ orgId }) => activity.message(orgId, path.messageId)).pipe(Effect.catchTag("MessageNotFound", notFound)))
  })).pipe(Layer.provide(Layer.mergeAll(DeliveryReports.Default, Activity.Default)))
