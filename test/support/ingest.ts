import { ConfigProvider, Layer } from "effect"
import { Ingest, RepositoriesSql } from "../../src/App.js"
import { AppConfig } from "../../src/AppConfig.js"
import type { Backend } from "./databases.js"

export const configProvider = (overrides: Record<string, string> = {}) =>
  ConfigProvider.fromMap(new Map(Object.entries({ SENDER_MIN_SAMPLE: "10", PIPELINE_MAX_ATTEMPTS: "2", ...overrides })))

export const testConfig = (overrides: Record<string, string> = {}) =>
  AppConfig.Default.pipe(Layer.provide(Layer.setConfigProvider(configProvider(overrides))))

/** Inbox and pipeline over the SQL repositories on a test database. */
export const ingestSql = (backend: Backend, config: Record<string, string> = {}) =>
  Ingest.pipe(Layer.provideMerge(RepositoriesSql), Layer.provideMerge(backend.layer), Layer.provideMerge(testConfig(config)))
