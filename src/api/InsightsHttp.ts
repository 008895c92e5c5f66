import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { Effect, Layer } from "effect"
import { Insights } from "../reports/Insights.js"
import { Api } from "./Api.js"
import { CurrentOrg } from "./OrgAuth.js"

// Insights is provided here (it needs only repositories the root provides), so App.ts need not change.
export const InsightsLive = HttpApiBuilder.group(Api, "insights", (handlers) =>
  Effect.gen(function* () {
    const insights = yield* Insights
    return handlers
      .handle("stats", ({ urlParams }) =>
        Effect.flatMap(CurrentOrg, ({ orgId }) => insights.stats(orgId, urlParams)).pipe(
          Effect.catchTags({
            InvalidStatsQuery: (e) => Effect.fail({ error: "BadRequest" as const, message: e.message }),
            StatsBroadcastNotFound: (e) => Effect.fail({ error: "NotFound" as const, message: e.message })
          })
        ))
      .handle("statsSummary", ({ urlParams }) => Effect.flatMap(CurrentOrg, ({ orgId }) => insights.summary(orgId, urlParams.category)))
      .handle("deliverabilityHealth", ({ urlParams }) => Effect.flatMap(CurrentOrg, ({ orgId }) => insights.health(orgId, urlParams.category)))
  })).pipe(Layer.provide(Insights.Default))
