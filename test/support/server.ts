import * as HttpServer from "@effect/platform/HttpServer"
import { Effect, Layer, Logger, LogLevel } from "effect"
import * as Server from "../../src/api/Server.js"
import { makeIngest, RepositoriesSql, withBroadcasts } from "../../src/App.js"
import type { VendorRequirements } from "../../src/providers/Registry.js"
import { AppConfig } from "../../src/AppConfig.js"
import { testDatabaseLayer } from "./databases.js"
import { configProvider } from "./ingest.js"

/** The base URL of the in-process server (it listens on a free port). */
export const baseUrl = Effect.map(HttpServer.HttpServer, (server) =>
  server.address._tag === "TcpAddress" ? `http://127.0.0.1:${server.address.port}` : "")

/**
 * The whole service in this process on a real port, over a fresh PostgreSQL database, with the vendors'
 * network services swapped (no internet here): for HTTP tests that need a test double behind the API.
 */
export const inProcessService = <E>(
  config: Record<string, string>,
  vendorServices: Layer.Layer<VendorRequirements, E>
) =>
  Server.serve(0).pipe(
    Layer.provideMerge(withBroadcasts(makeIngest(vendorServices))),
    Layer.provideMerge(RepositoriesSql),
    Layer.provideMerge(testDatabaseLayer),
    Layer.provideMerge(AppConfig.Default),
    // Every layer reads its configuration (vendors' secrets too) from this map, not the environment.
    Layer.provide(Layer.setConfigProvider(configProvider(config))),
    // Refusals are logged as warnings by design; tests assert on the responses instead.
    Layer.provide(Logger.minimumLogLevel(LogLevel.Error))
  )
