import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { Duration, Effect } from "effect"
import packageJson from "../../package.json" with { type: "json" }
import * as Database from "../storage/Database.js"
import { Api } from "./Api.js"

export const HealthLive = HttpApiBuilder.group(Api, "health", (handlers) =>
  Effect.gen(function* () {
    const database = yield* Database.DatabaseInfo
    const startedAt = Date.now()
    return handlers.handle("health", () =>
      Database.ping.pipe(
        Effect.timeout(Duration.seconds(2)),
        Effect.map((latencyMs) => ({
          status: "ok" as const,
          version: packageJson.version,
          uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
          database: { ...database, state: "up" as const, latencyMs }
        })),
        Effect.catchAllCause((cause) =>
          Effect.zipRight(
            Effect.logWarning("health check: database did not answer", cause),
            Effect.fail({ error: "ServiceUnavailable" as const, message: `the ${database.kind} database did not answer` })
          )
        )
      ))
  }))
