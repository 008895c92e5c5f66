import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Clock, Context, Duration, Effect, Layer, Option, Redacted } from "effect"
import Pg from "pg"
import * as path from "node:path"
import { AppConfig } from "../AppConfig.js"
import * as PGliteClient from "./PGliteClient.js"

export type DatabaseKind = "embedded" | "postgres"

/** Which database the service runs on, for /health and the logs (never the credentials). */
export class DatabaseInfo extends Context.Tag("Sendtrail/DatabaseInfo")<DatabaseInfo, {
  readonly kind: DatabaseKind
  readonly location: string
}>() {}

/** int8 as a JS number, like the embedded database: ids and counters stay far below 2^53. */
const pgTypes = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === Pg.types.builtins.INT8 ? Number : Pg.types.getTypeParser(oid, format)) as typeof Pg.types.getTypeParser
}

const describeUrl = (url: string): string => {
  const parsed = new URL(url)
  return `${parsed.hostname}:${parsed.port || "5432"}${parsed.pathname}`
}

export const postgresLayer = (url: Redacted.Redacted) =>
  Layer.merge(
    // The pipeline applies up to 32 contacts at once; the rest is left for acknowledging webhooks.
    PgClient.layer({ url, types: pgTypes, connectTimeout: Duration.seconds(10), maxConnections: 40 }),
    Layer.succeed(DatabaseInfo, { kind: "postgres", location: describeUrl(Redacted.value(url)) })
  )

export const embeddedLayer = (dataDir: string | undefined) =>
  Layer.merge(
    PGliteClient.layer({ dataDir }),
    Layer.succeed(DatabaseInfo, { kind: "embedded", location: dataDir === undefined ? "memory" : path.resolve(dataDir) })
  )

/** PostgreSQL when DATABASE_URL is set, otherwise the embedded database in DATA_DIR. */
export const layer = Layer.unwrapEffect(
  Effect.map(AppConfig, (config) =>
    Option.match(config.databaseUrl, {
      onSome: postgresLayer,
      onNone: () => embeddedLayer(path.join(config.dataDir, "pglite"))
    })
  )
)

export const ping = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const started = yield* Clock.currentTimeMillis
  yield* sql`SELECT 1`
  return (yield* Clock.currentTimeMillis) - started
})
