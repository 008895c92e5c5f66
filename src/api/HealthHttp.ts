import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { DateTime, Duration, Effect } from "effect"
import packageJson from "../../package.json" with { type: "json" }
import * as Database from "../storage/Database.js"
import { Api } from "./Api.js"

export const HealthLive = HttpApiBuilder.group(Api, "health", (handlers) =>
  Effect.gen(function* () {
    const database = yield* Database.DatabaseInfo
    const startedAt = Date.now()
    // Checks arriving within a second of a probe (a load balancer's, a monitor's, a flood) share its
    // answer, so /health costs the database one `SELECT 1` a second, whatever the rate it is asked at.
    const probe = yield* Effect.cachedWithTTL(
      Effect.zip(Effect.timeout(Database.ping, Duration.seconds(2)), DateTime.now),
      Duration.seconds(1)
    )
    return handlers.handle("health", () =>
      probe.pipe(
        Effect.map(([latencyMs, checkedAt]) => ({
          status: "ok" as const,
          version: packageJson.version,
          uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
          database: { ...database, state: "up" as const, latencyMs, checkedAt }
        })),
        Effect.catchAllCause((cause) =>
          Effect.zipRight(
            Effect.logWarning("health check: database did not answer", cause),
            Effect.fail({ error: "ServiceUnavailable" as const, message: `the ${database.kind} database did not answer` })
          )
        )
      ))
  }))
