import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { Effect } from "effect"
import { Broadcasts } from "../broadcasts/Broadcasts.js"
import { PushResults } from "../broadcasts/PushResults.js"
import { Registrations } from "../broadcasts/Registrations.js"
import { RetryLists } from "../broadcasts/RetryLists.js"
import { Api } from "./Api.js"
import { overloadedResponse } from "./Errors.js"
import { CurrentOrg } from "./OrgAuth.js"

/** Client mistakes as 400s naming the field; another org's broadcast is a 404, the same as none. */
const refusals = {
  InvalidInput: (e: { readonly message: string }) => Effect.fail({ error: "BadRequest" as const, message: e.message }),
  BroadcastNotFound: (e: { readonly message: string }) => Effect.fail({ error: "NotFound" as const, message: e.message })
}

export const BroadcastsLive = HttpApiBuilder.group(Api, "broadcasts", (handlers) =>
  Effect.gen(function* () {
    const broadcasts = yield* Broadcasts
    const registrations = yield* Registrations
    const pushResults = yield* PushResults
    const retryLists = yield* RetryLists
    return handlers
      .handle("create", ({ payload }) => Effect.flatMap(CurrentOrg, ({ orgId }) => broadcasts.create(orgId, payload)))
      .handle("get", ({ path }) =>
        Effect.flatMap(CurrentOrg, ({ orgId }) => broadcasts.view(orgId, path.id)).pipe(
          Effect.catchTag("BroadcastNotFound", refusals.BroadcastNotFound)
        ))
      .handle("registerDeliveries", ({ path, payload }) =>
        Effect.flatMap(CurrentOrg, ({ orgId }) => registrations.register(orgId, path.id, payload.deliveries)).pipe(
          Effect.catchTags(refusals)
        ))
      .handle("pushResults", ({ path, payload }) =>
        Effect.flatMap(CurrentOrg, ({ orgId }) => pushResults.record(orgId, path.id, payload.results)).pipe(
          Effect.catchTags({
            ...refusals,
            InboxOverloaded: (e) => Effect.succeed(overloadedResponse(`${e.backlog} events wait to be applied`, e.retryAfterSeconds))
          })
        ))
      .handle("retryList", ({ path, payload }) =>
        Effect.flatMap(CurrentOrg, ({ orgId }) => retryLists.build(orgId, path.id, payload.statuses)).pipe(Effect.catchTags(refusals)))
  }))
