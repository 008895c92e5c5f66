import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect, Layer } from "effect"
import { Broadcasts } from "../broadcasts/Broadcasts.js"
import { Recipients } from "../reports/Recipients.js"
import { Api } from "./Api.js"
import { CurrentOrg } from "./OrgAuth.js"

const refusals = {
  InvalidCursor: (e: { readonly message: string }) => Effect.fail({ error: "BadRequest" as const, message: e.message }),
  BroadcastNotFound: (e: { readonly message: string }) => Effect.fail({ error: "NotFound" as const, message: e.message })
}

export const BroadcastListsLive = HttpApiBuilder.group(Api, "broadcastLists", (handlers) =>
  Effect.gen(function* () {
    const broadcasts = yield* Broadcasts
    const recipients = yield* Recipients
    return handlers
      .handle("list", ({ urlParams }) =>
        Effect.flatMap(CurrentOrg, ({ orgId }) => broadcasts.list(orgId, urlParams.cursor, urlParams.limit)).pipe(
          Effect.catchTag("InvalidCursor", refusals.InvalidCursor)
        ))
      .handle("recipients", ({ path, urlParams: { channel, status, cursor, pageSize } }) =>
        Effect.flatMap(CurrentOrg, ({ orgId }) => recipients.page(orgId, path.id, { channel, status }, cursor, pageSize)).pipe(
          Effect.catchTags(refusals)
        ))
      .handle("recipientsCsv", ({ path, urlParams: { channel, status } }) =>
        Effect.gen(function* () {
          const { orgId } = yield* CurrentOrg
          const body = yield* recipients.csv(orgId, path.id, { channel, status })
          return HttpServerResponse.stream(body, {
            contentType: "text/csv; charset=utf-8",
            headers: { "content-disposition": `attachment; filename="recipients-${path.id.replace(/[^\w-]/g, "_")}.csv"` }
          })
        }).pipe(Effect.catchTag("BroadcastNotFound", refusals.BroadcastNotFound)))
  })).pipe(Layer.provide(Recipients.Default))
