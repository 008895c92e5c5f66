// A bare `@effect/platform` HttpRouter on Bun for `bench -- ingest`'s ceiling: GET /health answers a
// constant JSON, any other path the router's own 404. What the platform costs a request with nothing
// of the service's around it: the yardstick for the service's /health and unknown routes.
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as BunHttpServer from "@effect/platform-bun/BunHttpServer"
import * as BunRuntime from "@effect/platform-bun/BunRuntime"
import { Layer } from "effect"

const app = HttpRouter.empty.pipe(HttpRouter.get("/health", HttpServerResponse.json({ status: "ok" })))
BunRuntime.runMain(Layer.launch(HttpServer.serve(app).pipe(Layer.provide(BunHttpServer.layer({ hostname: "127.0.0.1", port: Number(process.env.PORT) })))))
