import { ConfigProvider, Layer } from "effect"
import { ContactActor } from "../../src/actors/ContactActor.js"
import { Ingest, makeIngest, RepositoriesInMemory, RepositoriesSql } from "../../src/App.js"
import { MailgunTokens } from "../../src/providers/Mailgun.js"
import { SnsClient } from "../../src/providers/SnsClient.js"
import { AppConfig } from "../../src/AppConfig.js"
import type { Backend } from "./databases.js"

export const configProvider = (overrides: Record<string, string> = {}) =>
  ConfigProvider.fromMap(new Map(Object.entries({ SENDER_MIN_SAMPLE: "10", PIPELINE_MAX_ATTEMPTS: "2", ...overrides })))

export const testConfig = (overrides: Record<string, string> = {}) =>
  AppConfig.Default.pipe(Layer.provide(Layer.setConfigProvider(configProvider(overrides))))

/** Inbox, actors and pipeline over in-memory repositories: the unit-test world. */
export const ingestInMemory = (config: Record<string, string> = {}, contactActor: Layer.Layer<ContactActor, never, never> | undefined = undefined) =>
  makeIngest(contactActor ?? ContactActor.Default, Layer.mergeAll(SnsClient.Default, MailgunTokens.Default)).pipe(Layer.provideMerge(RepositoriesInMemory), Layer.provideMerge(testConfig(config)))

/** The same over SQL repositories on a test database. */
export const ingestSql = (backend: Backend, config: Record<string, string> = {}) =>
  Ingest.pipe(Layer.provideMerge(RepositoriesSql), Layer.provideMerge(backend.layer), Layer.provideMerge(testConfig(config)))
