import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { Effect, Layer } from "effect"
import { Engagement } from "../tracking/Engagement.js"
import { Renderer } from "../tracking/Renderer.js"
import { TrackingServices } from "../tracking/Services.js"
import { Api } from "./Api.js"
import { overloadedResponse } from "./Errors.js"
import { CurrentOrg } from "./OrgAuth.js"

const errorOf = { "bad-request": "BadRequest", "not-found": "NotFound", "unavailable": "ServiceUnavailable" } as const

const refusal = (refused: { readonly kind: keyof typeof errorOf; readonly message: string }) =>
  Effect.fail({ error: errorOf[refused.kind], message: refused.message })

export const TrackingOrgLive = HttpApiBuilder.group(Api, "trackingOrg", (handlers) =>
  Effect.gen(function* () {
    const renderer = yield* Renderer
    const engagement = yield* Engagement
    return handlers
      .handle("render", ({ payload }) =>
        Effect.flatMap(CurrentOrg, ({ orgId }) => renderer.render(orgId, payload)).pipe(Effect.catchTag("RenderRefused", refusal)))
      .handle("analyticsEvent", ({ payload }) =>
        Effect.flatMap(CurrentOrg, ({ orgId }) => engagement.appEvent(orgId, payload)).pipe(
          Effect.as({ accepted: true as const }),
          Effect.catchTags({
            AppEventRefused: refusal,
            InboxOverloaded: (e) => Effect.succeed(overloadedResponse(`${e.backlog} events wait to be applied`, e.retryAfterSeconds))
          })
        ))
  })).pipe(Layer.provide(TrackingServices))
