import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { DateTime, Effect, Layer, Option } from "effect"
import { Dispatcher } from "../notifications/Dispatcher.js"
import type { Filter } from "../notifications/Endpoints.js"
import { Endpoints } from "../notifications/Endpoints.js"
import { Messages } from "../notifications/Messages.js"
import { Api } from "./Api.js"
import type { FilterInput } from "./Notifications.js"
import { CurrentOrg } from "./OrgAuth.js"

const badRequest = (message: string) => Effect.fail({ error: "BadRequest" as const, message })
const notFound = (id: string) => Effect.fail({ error: "NotFound" as const, message: `no notification endpoint '${id}'` })

const filterOf = (input: typeof FilterInput.Type | undefined): Filter => ({
  broadcastIds: input?.broadcastIds ?? null, categories: input?.categories ?? null, channels: input?.channels ?? null
})

/** Thin: the org from the token, the endpoint looked up in that org only (another org's id is not found). */
export const NotificationsLive = HttpApiBuilder.group(Api, "notifications", (handlers) =>
  Effect.gen(function* () {
    const endpoints = yield* Endpoints
    const messages = yield* Messages
    const dispatcher = yield* Dispatcher
    const org = Effect.map(CurrentOrg, (current) => current.orgId)
    /** The endpoint of the org, or 404. */
    const owned = (id: string) =>
      Effect.flatMap(org, (orgId) => Effect.flatMap(endpoints.find(orgId, id), Option.match({
        onNone: () => notFound(id), onSome: (endpoint) => Effect.succeed({ orgId, endpoint })
      })))
    return handlers
      .handle("create", ({ payload }) =>
        Effect.flatMap(org, (orgId) => endpoints.create(orgId, { ...payload, filter: filterOf(payload.filter) })).pipe(
          Effect.catchTag("EndpointRefused", (e) => badRequest(e.message))))
      .handle("list", () => Effect.map(Effect.flatMap(org, endpoints.list), (items) => ({ items })))
      .handle("get", ({ path }) => Effect.map(owned(path.id), ({ endpoint }) => endpoint))
      .handle("update", ({ path, payload }) =>
        Effect.flatMap(org, (orgId) =>
          endpoints.update(orgId, path.id, { ...payload, filter: payload.filter === undefined ? undefined : filterOf(payload.filter) })).pipe(
          Effect.catchTag("EndpointRefused", (e) => badRequest(e.message)),
          Effect.flatMap(Option.match({ onNone: () => notFound(path.id), onSome: Effect.succeed }))))
      .handle("remove", ({ path }) =>
        Effect.flatMap(org, (orgId) => endpoints.remove(orgId, path.id)).pipe(
          Effect.flatMap((deleted) => (deleted ? Effect.succeed({ deleted: true as const }) : notFound(path.id)))))
      .handle("rotateSecret", ({ path }) =>
        Effect.flatMap(org, (orgId) => endpoints.rotateSecret(orgId, path.id)).pipe(
          Effect.flatMap(Option.match({ onNone: () => notFound(path.id), onSome: (secret) => Effect.succeed({ secret }) }))))
      .handle("test", ({ path }) => Effect.flatMap(owned(path.id), ({ orgId, endpoint }) => dispatcher.test(orgId, endpoint.id)))
      .handle("deliveries", ({ path, urlParams }) =>
        Effect.flatMap(owned(path.id), ({ endpoint }) => messages.log(endpoint.id, urlParams.messageId, urlParams.cursor, urlParams.limit)).pipe(
          Effect.catchTag("InvalidCursor", (e) => badRequest(e.message))))
      .handle("replay", ({ path, payload }) =>
        Effect.gen(function* () {
          const { orgId, endpoint } = yield* owned(path.id)
          if ("from" in payload && DateTime.lessThan(payload.to, payload.from)) return yield* badRequest("to: must not be before from")
          const replayed = yield* messages.replay(orgId, endpoint.id, payload)
          if ("messageId" in payload && replayed === 0) {
            return yield* Effect.fail({ error: "NotFound" as const, message: `no message '${payload.messageId}' of endpoint '${path.id}'` })
          }
          return { replayed }
        }))
  })).pipe(Layer.provide(Layer.mergeAll(Endpoints.Default, Messages.Default)))
