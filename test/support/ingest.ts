import { ConfigProvider, Layer } from "effect"
import type { ContactActor } from "../../src/actors/ContactActor.js"
import { Ingest, makeIngest, RepositoriesInMemory, RepositoriesSql, VendorServices } from "../../src/App.js"
import { AppConfig } from "../../src/AppConfig.js"
import type { Backend } from "./databases.js"

export const configProvider = (overrides: Record<string, string> = {}) =>
  ConfigProvider.fromMap(new Map(Object.entries({ SENDER_MIN_SAMPLE: "10", PIPELINE_MAX_ATTEMPTS: "2", ...overrides })))

export const testConfig = (overrides: Record<string, string> = {}) =>
  AppConfig.Default.pipe(Layer.provide(Layer.setConfigProvider(configProvider(overrides))))

/** Inbox, actors and pipeline over in-memory repositories: the unit-test world. */
export const ingestInMemory = (config: Record<string, string> = {}, contactActor: Layer.Layer<ContactActor, never, never> | undefined = undefined) =>
  (contactActor === undefined ? Ingest : makeIngest(contactActor, VendorServices)).pipe(Layer.provideMerge(RepositoriesInMemory), Layer.provideMerge(testConfig(config)))

/** The same over SQL repositories on a test database. */
export const ingestSql = (backend: Backend, config: Record<string, string> = {}) =>
  Ingest.pipe(Layer.provideMerge(RepositoriesSql), Layer.provideMerge(backend.layer), Layer.provideMerge(testConfig(config)))
