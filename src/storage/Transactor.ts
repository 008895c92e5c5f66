import * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Layer } from "effect"

/**
 * Runs a unit of work atomically. SQL: one transaction (repository failures are already defects).
 * In memory: the work as it is; callers serialize per key, and nothing there can half-fail.
 */
export class Transactor extends Effect.Service<Transactor>()("Sendtrail/Transactor", {
  effect: Effect.map(SqlClient.SqlClient, (sql) => {
    const transaction = <A, E, R>(work: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
      sql.withTransaction(work).pipe(Effect.catchTag("SqlError", (error) => Effect.die(error)))
    return {
      transaction,
      /**
       * A transaction whose commit does not wait for the disk, for work that an inbox row drives:
       * the row is marked processed by a later, synchronous commit, and PostgreSQL flushes the WAL
       * in order, so either both are durable or the row is applied again (idempotently) after a crash.
       */
      transactionBehindInbox: <A, E, R>(work: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
        transaction(Effect.zipRight(Effect.orDie(sql`SET LOCAL synchronous_commit = off`), work))
    }
  })
}) {}

export const inMemory = Layer.succeed(Transactor, Transactor.make({ transaction: (work) => work, transactionBehindInbox: (work) => work }))
