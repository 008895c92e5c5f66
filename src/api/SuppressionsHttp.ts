import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { Effect, Layer } from "effect"
import { SuppressionList } from "../contacts/SuppressionList.js"
import { SuppressionRepository } from "../storage/SuppressionRepository.js"
import { Api } from "./Api.js"
import { CurrentOrg } from "./OrgAuth.js"

const view = <S extends { readonly orgId: string }>({ orgId: _, ...rest }: S) => rest

export const SuppressionsLive = HttpApiBuilder.group(Api, "suppressions", (handlers) =>
  Effect.gen(function* () {
    const list = yield* SuppressionList
    const repository = yield* SuppressionRepository
    const actor = Effect.map(CurrentOrg, (org) => ({ orgId: org.orgId, actor: org.subject ?? "api" }))
    return handlers
      .handle("check", ({ payload }) =>
        Effect.flatMap(CurrentOrg, ({ orgId }) => list.check(orgId, payload.channel, payload.addresses, payload.category)))
      .handle("list", ({ urlParams }) =>
        Effect.flatMap(CurrentOrg, ({ orgId }) =>
          repository.list(orgId, { channel: urlParams.channel, reason: urlParams.reason, after: urlParams.cursor, limit: urlParams.limit })).pipe(
            Effect.map((page) => ({ items: page.items.map(view), nextCursor: page.nextCursor })),
            Effect.catchTag("InvalidCursor", (e) => Effect.fail({ error: "BadRequest" as const, message: e.message }))
          ))
      .handle("add", ({ payload }) =>
        Effect.flatMap(actor, ({ orgId, actor }) =>
          list.add(orgId, actor, { ...payload, category: payload.category ?? null, note: payload.note })).pipe(
            Effect.map(({ created, suppression }) => ({ created, suppression: view(suppression) })),
            Effect.catchTag("InvalidAddress", (e) => Effect.fail({ error: "BadRequest" as const, message: e.message }))
          ))
      .handle("lift", ({ path, payload }) =>
        Effect.flatMap(actor, ({ orgId, actor }) => list.lift(orgId, actor, path.channel, path.address, payload.reason)).pipe(
          Effect.flatMap((removed) =>
            removed === 0
              ? Effect.fail({ error: "NotFound" as const, message: `${path.address} is not suppressed on ${path.channel}` })
              : Effect.succeed({ removed }))
        ))
  })).pipe(Layer.provide(SuppressionList.Default))
