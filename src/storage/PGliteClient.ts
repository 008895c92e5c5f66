import { PGlite, types } from "@electric-sql/pglite"
import * as Reactivity from "@effect/experimental/Reactivity"
import * as SqlClient from "@effect/sql/SqlClient"
import type { Connection } from "@effect/sql/SqlConnection"
import { SqlError } from "@effect/sql/SqlError"
import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Stream } from "effect"
import { mkdir } from "node:fs/promises"

export interface PGliteClientConfig {
  /** A folder for the database files, or undefined for an in-memory database (tests). */
  readonly dataDir: string | undefined
}

const attempt = <A>(run: () => Promise<A>) =>
  Effect.tryPromise({ try: run, catch: (cause) => new SqlError({ cause, message: "PGlite: failed to execute statement" }) })

/** int8 as a JS number, as the PostgreSQL layer is configured too: counters and ids stay below 2^53. */
export const int8AsNumber = { [types.INT8]: (value: string) => Number(value) }

const makeConnection = (db: PGlite): Connection => {
  const run = (sql: string, params: ReadonlyArray<unknown>) =>
    params.length === 0
      // The simple protocol accepts several statements at once (migrations); answer like pg does.
      ? attempt(() => db.exec(sql)).pipe(
        Effect.map((results) => results.length === 1 ? results[0]!.rows : results.map((r) => r.rows))
      )
      : attempt(() => db.query(sql, [...params])).pipe(Effect.map((result) => result.rows))
  const execute: Connection["execute"] = (sql, params, transformRows) =>
    transformRows ? Effect.map(run(sql, params), (rows) => transformRows(rows as ReadonlyArray<object>)) : run(sql, params)
  return {
    execute,
    executeRaw: (sql, params) => attempt(() => db.query(sql, [...params])),
    executeValues: (sql, params) =>
      attempt(() => db.query<Array<unknown>>(sql, [...params], { rowMode: "array" })).pipe(Effect.map((r) => r.rows)),
    executeUnprepared: execute,
    // PGlite answers a query whole, so a stream is the rows it returned.
    executeStream: (sql, params, transformRows) =>
      Stream.unwrap(Effect.map(execute(sql, params, transformRows), Stream.fromIterable))
  }
}

/**
 * PGlite has a single session, so a statement issued outside a transaction while another fiber's
 * transaction is open would run inside it. One permit guards the session: a plain statement holds it
 * for its own duration, a transaction for the whole BEGIN…COMMIT.
 */
export const make = (config: PGliteClientConfig) =>
  Effect.gen(function* () {
    const db = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: async () => {
          if (config.dataDir !== undefined) await mkdir(config.dataDir, { recursive: true })
          return PGlite.create({ ...(config.dataDir === undefined ? {} : { dataDir: config.dataDir }), parsers: int8AsNumber })
        },
        catch: (cause) => new SqlError({ cause, message: `PGlite: cannot open the database in ${config.dataDir ?? "memory"}` })
      }),
      (db) => Effect.promise(() => db.close())
    )
    const session = yield* Effect.makeSemaphore(1)
    const connection = makeConnection(db)
    const exclusive = <A>(effect: Effect.Effect<A, SqlError>) => session.withPermits(1)(effect)
    const guarded: Connection = {
      execute: (sql, params, transformRows) => exclusive(connection.execute(sql, params, transformRows)),
      executeRaw: (sql, params) => exclusive(connection.executeRaw(sql, params)),
      executeValues: (sql, params) => exclusive(connection.executeValues(sql, params)),
      executeUnprepared: (sql, params, transformRows) => exclusive(connection.executeUnprepared(sql, params, transformRows)),
      // PGlite answers a query whole, so a stream is the fetched rows; the lock covers the fetch.
      executeStream: (sql, params, transformRows) =>
        Stream.unwrap(Effect.map(exclusive(connection.execute(sql, params, transformRows)), Stream.fromIterable))
    }
    const client = yield* SqlClient.make({
      acquirer: Effect.succeed(guarded),
      transactionAcquirer: Effect.as(
        Effect.acquireRelease(session.take(1), () => session.release(1)),
        connection
      ),
      compiler: PgClient.makeCompiler(),
      spanAttributes: [["db.system.name", "postgresql"], ["db.namespace", config.dataDir ?? "memory"]]
    })
    return { client, db }
  })

export const layer = (config: PGliteClientConfig): Layer.Layer<SqlClient.SqlClient, SqlError> =>
  Layer.scoped(SqlClient.SqlClient, Effect.map(make(config), ({ client }) => client)).pipe(
    Layer.provide(Reactivity.layer)
  )
