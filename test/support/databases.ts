import { SqlClient } from "@effect/sql"
import { Effect, Layer, Redacted } from "effect"
import Pg from "pg"
import * as Database from "../../src/storage/Database.js"
import * as Migrations from "../../src/storage/Migrations.js"

/** A fresh, migrated embedded database in memory: every test file gets its own. */
export const pgliteLayer = Layer.provideMerge(Migrations.layer, Database.embeddedLayer(undefined))

/**
 * A fresh schema on the PostgreSQL server named by TEST_DATABASE_URL, dropped afterwards, so test
 * files running side by side never see each other's rows.
 */
export const postgresLayer = (url: string) =>
  Layer.unwrapScoped(
    Effect.gen(function* () {
      const schema = `test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
      const admin = Database.postgresLayer(Redacted.make(url))
      const onAdmin = <A, E>(effect: Effect.Effect<A, E, SqlClient.SqlClient>) => Effect.provide(effect, admin)
      yield* onAdmin(Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(`CREATE SCHEMA ${schema}`))).pipe(Effect.orDie)
      yield* Effect.addFinalizer(() =>
        onAdmin(Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(`DROP SCHEMA ${schema} CASCADE`))).pipe(Effect.ignore)
      )
      const scoped = new URL(url)
      scoped.searchParams.set("options", `-c search_path=${schema}`)
      return Layer.provideMerge(Migrations.layer, Database.postgresLayer(Redacted.make(scoped.toString())))
    })
  )

/** A URL for a new, empty schema on the server (for a service process under test); left for CI's throwaway database. */
export const freshSchemaUrl = async (url: string): Promise<string> => {
  const schema = `e2e_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
  const client = new Pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(`CREATE SCHEMA ${schema}`)
  } finally {
    await client.end()
  }
  const scoped = new URL(url)
  scoped.searchParams.set("options", `-c search_path=${schema}`)
  return scoped.toString()
}

export interface Backend {
  readonly name: string
  readonly layer: Layer.Layer<SqlClient.SqlClient | Database.DatabaseInfo>
}

/** PGlite always; the PostgreSQL server too when TEST_DATABASE_URL is set (CI sets it). */
export const sqlBackends: ReadonlyArray<Backend> = [
  { name: "pglite", layer: Layer.orDie(pgliteLayer) },
  ...(process.env.TEST_DATABASE_URL
    ? [{ name: "postgres", layer: Layer.orDie(postgresLayer(process.env.TEST_DATABASE_URL)) }]
    : [])
]
