import * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Layer, Redacted } from "effect"
import { inject } from "vitest"
import * as Database from "../../src/storage/Database.js"
import { admin, withDatabase } from "./globalSetup.js"

/**
 * A new database copied from the run's migrated template (test/support/globalSetup.ts): a test file,
 * or a service process under test, sees no other's rows.
 */
export const freshDatabaseUrl = async (): Promise<string> => {
  const { url, template } = inject("testDatabase")
  const name = `${template}_${Math.random().toString(36).slice(2, 10)}`
  await admin(url, (client) => client.query(`CREATE DATABASE ${name} TEMPLATE ${template}`))
  return withDatabase(url, name)
}

export const dropDatabase = (databaseUrl: string) =>
  admin(inject("testDatabase").url, (client) =>
    client.query(`DROP DATABASE IF EXISTS ${new URL(databaseUrl).pathname.slice(1)} WITH (FORCE)`))

/** A fresh migrated database for the layer's life, dropped afterwards. */
export const testDatabaseLayer: Layer.Layer<SqlClient.SqlClient | Database.DatabaseInfo> = Layer.unwrapScoped(
  Effect.acquireRelease(Effect.promise(freshDatabaseUrl), (url) => Effect.promise(() => dropDatabase(url))).pipe(
    Effect.map((url) => Database.postgresLayer(Redacted.make(url), 10))
  )
).pipe(Layer.orDie)

export interface Backend {
  readonly name: string
  readonly layer: Layer.Layer<SqlClient.SqlClient | Database.DatabaseInfo>
}

/** The SQL backends a storage contract runs on: PostgreSQL (embedded, or TEST_DATABASE_URL's server). */
export const sqlBackends: ReadonlyArray<Backend> = [{ name: "postgres", layer: testDatabaseLayer }]
