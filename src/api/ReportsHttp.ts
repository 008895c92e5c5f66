import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect, Layer } from "effect"
import { Activity } from "../reports/Activity.js"
import { DeliveryReports } from "../reports/DeliveryReports.js"
import { Api } from "./Api.js"
import { CurrentOrg } from "./OrgAuth.js"

const notFound = (e: { readonly message: string }) => Effect.fail({ error: "NotFound" as const, message: e.message })

export const ReportsLive = HttpApiBuilder.group(Api, "reports", (handlers) =>
  Effect.gen(function* () {
    const reports = yield* DeliveryReports
    const activity = yield* Activity
    return handlers
      .handle("report", ({ path, urlParams }) =>
        Effect.flatMap(CurrentOrg, ({ orgId }) =>
          reports.page(orgId, path.id, { statuses: urlParams.status, channel: urlParams.channel }, urlParams.cursor ?? 0, urlParams.pageSize)).pipe(
            Effect.catchTag("ReportBroadcastNotFound", notFound)
          ))
      .handle("reportCsv", ({ path, urlParams }) =>
        Effect.gen(function* () {
          const { orgId } = yield* CurrentOrg
          const body = yield* reports.csv(orgId, path.id, { statuses: urlParams.status, channel: urlParams.channel })
          return HttpServerResponse.stream(body, {
            contentType: "text/csv; charset=utf-8",
            headers: { "content-disposition": `attachment; filename="report-${path.id.replace(/[^\w-]/g, "_")}.csv"` }
          })
        }).pipe(Effect.catchTag("ReportBroadcastNotFound", notFound)))
      .handle("activity", ({ urlParams: { startDate, endDate, event, recipient, cursor, limit } }) =>
        Effect.flatMap(CurrentOrg, ({ orgId }) =>
          activity.feed(orgId, { startDate, endDate, event, recipient: recipient?.trim().toLowerCase() }, cursor, limit)))
      .handle("messageActivity", ({ path }) =>
        Effect.flatMap(CurrentOrg, ({ orgId }) => activity.message(orgId, path.messageId)).pipe(Effect.catchTag("MessageNotFound", notFound)))
  })).pipe(Layer.provide(Layer.mergeAll(DeliveryReports.Default, Activity.Default)))
