import * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Schema } from "effect"
import { decodeRows } from "../storage/Rows.js"

const decodeCount = decodeRows(Schema.Struct({ n: Schema.Number }))

/**
 * Cheap counts for /metrics that the repositories do not offer. SQL only: /metrics is served over
 * the SQL repositories, so no in-memory twin is needed.
 */
export class OpsQueries extends Effect.Service<OpsQueries>()("Sendtrail/OpsQueries", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    return {
      /** Dead letters not yet replayed (the partial index dead_letters_open covers them). */
      openDeadLetters: Effect.fn("OpsQueries.openDeadLetters")(function* () {
        const rows = yield* decodeCount(yield* sql`SELECT count(*) AS n FROM dead_letters WHERE replayed_at IS NULL`)
        return rows[0]?.n ?? 0
      }, Effect.orDie)
    } as const
  })
}) {}
