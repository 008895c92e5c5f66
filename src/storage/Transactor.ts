import { SqlClient } from "@effect/sql"
import { Effect, Layer } from "effect"

/**
 * Runs a unit of work atomically. SQL: one transaction (repository failures are already defects).
 * In memory: the work as it is; callers serialize per key, and nothing there can half-fail.
 */
export class Transactor extends Effect.Service<Transactor>()("Sendtrail/Transactor", {
  effect: Effect.map(SqlClient.SqlClient, (sql) => ({
    transaction: <A, E, R>(work: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
      sql.withTransaction(work).pipe(Effect.catchTag("SqlError", (error) => Effect.die(error)))
  }))
}) {}

export const inMemory = Layer.succeed(Transactor, Transactor.make({ transaction: (work) => work }))
