import { HttpApiBuilder, HttpApiSwagger, HttpServer } from "@effect/platform"
import { BunHttpServer } from "@effect/platform-bun"
import { Effect, Layer } from "effect"
import { AppConfig } from "../AppConfig.js"
import { AdminAuthLive, AdminLive } from "./AdminHttp.js"
import { Api } from "./Api.js"
import { UniformDecodeErrors } from "./ErrorShape.js"
import { HealthLive } from "./HealthHttp.js"
import { WebhooksLive } from "./WebhooksHttp.js"

const ApiLive = HttpApiBuilder.api(Api).pipe(
  Layer.provide(Layer.mergeAll(HealthLive, WebhooksLive, AdminLive)),
  Layer.provide(AdminAuthLive)
)

const BunServer = Layer.unwrapEffect(Effect.map(AppConfig, (config) => BunHttpServer.layer({ port: config.port })))

/** The HTTP server on PORT, the API, `/openapi.json` and Swagger UI at `/docs`. */
export const layer = HttpApiBuilder.serve().pipe(
  Layer.provide(UniformDecodeErrors),
  Layer.provide(HttpApiSwagger.layer({ path: "/docs" })),
  Layer.provide(HttpApiBuilder.middlewareOpenApi({ path: "/openapi.json" })),
  Layer.provide(ApiLive),
  HttpServer.withLogAddress,
  Layer.provide(BunServer)
)
