import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { DateTime, Effect, Layer } from "effect"
import { cutoffOf, Sunset } from "../contacts/Sunset.js"
import { SunsetSchedule } from "../contacts/SunsetSchedule.js"
import { SuppressionList } from "../contacts/SuppressionList.js"
import { SuppressionRepository } from "../storage/SuppressionRepository.js"
import { Api } from "./Api.js"
import { CurrentOrg } from "./OrgAuth.js"

const view = <S extends { readonly orgId: string }>({ orgId: _, ...rest }: S) => rest

export const SuppressionsLive = HttpApiBuilder.group(Api, "suppressions", (handlers) =>
  Effect.gen(function* () {
    const list = yield* SuppressionList
    const sunset = yield* Sunset
    const schedules = yield* SunsetSchedule
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
      .handle("sunset", ({ payload }) =>
        Effect.gen(function* () {
          const { orgId, actor: by } = yield* actor
          const cutoff = cutoffOf(yield* DateTime.now, payload.unengagedFor)
          const request = { channel: payload.channel, category: payload.category, cutoff }
          return payload.dryRun
            ? { dryRun: true as const, ...(yield* sunset.dryRun(orgId, request, payload.cursor, payload.limit)) }
            : { dryRun: false as const, ...(yield* sunset.run(orgId, by, request)) }
        }).pipe(Effect.catchTag("SunsetRefused", (e) => Effect.fail({ error: "BadRequest" as const, message: e.message }))))
      .handle("reverseSunset", ({ path }) =>
        Effect.flatMap(actor, ({ orgId, actor }) => sunset.reverse(orgId, actor, path.batchId)).pipe(
          Effect.flatMap(({ removed }) =>
            removed === 0 ? Effect.fail({ error: "NotFound" as const, message: `no suppressions of sunset ${path.batchId}` }) : Effect.succeed({ removed }))
        ))
      .handle("scheduleSunset", ({ payload }) =>
        Effect.flatMap(actor, ({ orgId, actor }) => schedules.set(orgId, actor, payload)).pipe(
          Effect.catchTag("SunsetRefused", (e) => Effect.fail({ error: "BadRequest" as const, message: e.message }))))
      .handle("sunsetSchedules", () => Effect.map(Effect.flatMap(CurrentOrg, ({ orgId }) => schedules.list(orgId)), (items) => ({ items })))
      .handle("unscheduleSunset", ({ path }) =>
        Effect.flatMap(CurrentOrg, ({ orgId }) => schedules.remove(orgId, path.channel, path.category)).pipe(
          Effect.flatMap((removed) => removed ? Effect.void : Effect.fail({ error: "NotFound" as const, message: `no daily sunset of ${path.channel}/${path.category}` }))))
  })).pipe(Layer.provide(SuppressionList.Default))
