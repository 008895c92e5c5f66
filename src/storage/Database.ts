import * as Reactivity from "@effect/experimental/Reactivity"
import * as SqlClient from "@effect/sql/SqlClient"
import { PgClient } from "@effect/sql-pg"
import { Clock, Context, Duration, Effect, Layer, Option, Redacted } from "effect"
import Pg from "pg"
import * as path from "node:path"
import { AppConfig } from "../AppConfig.js"
import * as EmbeddedPostgres from "./EmbeddedPostgres.js"

export type DatabaseKind = "embedded" | "postgres"

/** Which kind of database the service runs on, for /health (never where it is: that goes to the log). */
export class DatabaseInfo extends Context.Tag("Sendtrail/DatabaseInfo")<DatabaseInfo, {
  readonly kind: DatabaseKind
}>() {}

/** int8 as a JS number: ids and counters stay far below 2^53. */
export const pgTypes = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === Pg.types.builtins.INT8 ? Number : Pg.types.getTypeParser(oid, format)) as typeof Pg.types.getTypeParser
}

const describeUrl = (url: string): string => {
  const parsed = new URL(url)
  return `${parsed.hostname}:${parsed.port || "5432"}${parsed.pathname}`
}

const clientOptions = { types: pgTypes, connectTimeout: Duration.seconds(10) }

/**
 * The inbox's own connections (a quarter of the pool, at most 4): acknowledging a webhook never waits
 * for a connection behind the pipeline's batches or a long report.
 */
export class AckSql extends Context.Tag("Sendtrail/AckSql")<AckSql, SqlClient.SqlClient>() {}

/** `maxConnections` in all: the acks' share and the rest for everything else. */
const clients = (url: Redacted.Redacted, maxConnections: number) => {
  const acks = Math.max(1, Math.min(4, Math.floor(maxConnections / 4)))
  return Layer.merge(
    PgClient.layer({ url, maxConnections: Math.max(1, maxConnections - acks), ...clientOptions }),
    Layer.scoped(AckSql, PgClient.make({ url, maxConnections: acks, ...clientOptions })).pipe(Layer.provide(Reactivity.layer), Layer.orDie)
  )
}

export const postgresLayer = (url: Redacted.Redacted, maxConnections: number) =>
  Layer.merge(clients(url, maxConnections), Layer.succeed(DatabaseInfo, { kind: "postgres" }))

/** The PostgreSQL server the service runs itself on the cluster in `<dataDir>/postgres`, for the layer's life. */
export const embeddedLayer = (dataDir: string, maxConnections: number, runAsUser?: string) =>
  Layer.unwrapScoped(
    Effect.map(EmbeddedPostgres.start({ dataDir, runAsUser }), (server) =>
      Layer.merge(clients(EmbeddedPostgres.urlOf(server), maxConnections), Layer.succeed(DatabaseInfo, { kind: "embedded" })))
  )

/** PostgreSQL at DATABASE_URL when set, otherwise the embedded server in DATA_DIR. */
export const layer = Layer.unwrapEffect(
  Effect.map(AppConfig, (config) =>
    Option.match(config.databaseUrl, {
      onSome: (url) => Layer.tap(postgresLayer(url, config.databasePoolSize), () =>
        Effect.logInfo(`PostgreSQL at ${describeUrl(Redacted.value(url))}`)),
      onNone: () => Layer.tap(embeddedLayer(config.dataDir, config.databasePoolSize, config.embeddedPostgresUser), () =>
        Effect.logInfo(`embedded PostgreSQL in ${path.join(path.resolve(config.dataDir), "postgres")}`))
    })
  )
)

export const ping = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const started = yield* Clock.currentTimeMillis
  yield* sql`SELECT 1`
  return (yield* Clock.currentTimeMillis) - started
})
