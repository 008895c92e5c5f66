import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * Runs a unit of work atomically: one transaction (repository failures are already defects).
 */
export class Transactor extends Effect.Service<Transactor>()("Sendtrail/Transactor", {
  effect: Effect.map(SqlClient.SqlClient, (sql) => {
    const transaction = <A, E, R>(work: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
      sql.withTransaction(work).pipe(Effect.catchTag("SqlError", (error) => Effect.die(error)))
    return { transaction }
  })
}) {}
