import * as BunRuntime from "@effect/platform-bun/BunRuntime"
import { Effect, Layer, Logger } from "effect"
import * as Server from "./api/Server.js"
import { Ingest, RepositoriesSql, withBroadcasts } from "./App.js"
import { AppConfig } from "./AppConfig.js"
import * as Database from "./storage/Database.js"
import * as Migrations from "./storage/Migrations.js"

const StorageLive = Layer.provideMerge(Migrations.layer, Database.layer)

const MainLive = Server.layer.pipe(
  Layer.provide(withBroadcasts(Ingest)),
  Layer.provideMerge(RepositoriesSql),
  Layer.provide(StorageLive),
  Layer.provide(Layer.unwrapEffect(Effect.map(AppConfig, (config) => Logger.minimumLogLevel(config.logLevel)))),
  Layer.provide(AppConfig.Default)
)

BunRuntime.runMain(Layer.launch(MainLive))
