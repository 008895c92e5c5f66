import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import { Effect, Layer, Redacted } from "effect"
import { AppConfig } from "../AppConfig.js"
import { OrgAuth } from "./OrgAuth.js"
import { orgTokenKeys, verifyOrgToken } from "./OrgToken.js"

export const OrgAuthLive = Layer.effect(
  OrgAuth,
  Effect.map(AppConfig, (config) => {
    const keys = orgTokenKeys(config.jwtSecret, config.jwtPublicKey)
    return OrgAuth.of({
      bearer: (token) =>
        Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
          verifyOrgToken(keys, Redacted.value(token), request.headers["orgid"])).pipe(
            Effect.mapError((rejected) =>
              rejected.status === 403
                ? { error: "Forbidden" as const, message: rejected.message }
                : { error: "Unauthorized" as const, message: rejected.message })
          )
    })
  })
)
