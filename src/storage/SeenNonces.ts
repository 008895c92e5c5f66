import * as SqlClient from "@effect/sql/SqlClient"
import { DateTime, Duration, Effect, Layer, Schema } from "effect"
import { MailgunTokens, replayWindow } from "../providers/Mailgun.js"
import { decodeRows, toDate } from "./Rows.js"

const decodeCount = decodeRows(Schema.Struct({ n: Schema.Number }))

/**
 * Mailgun's token memory in PostgreSQL (`seen_nonces`): shared by every instance on the database and
 * kept across restarts, so a captured request cannot be replayed to another instance or after a
 * deploy. A token is kept twice the replay window after receipt (see `MailgunTokens`).
 */
export const mailgunTokensSql = Layer.effect(
  MailgunTokens,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const keep = Duration.times(replayWindow, 2)
    return MailgunTokens.make({
      // One statement: drop what expired, then take the token unless it is still remembered.
      remember: (token, receivedAt) =>
        sql`
          WITH expired AS (DELETE FROM seen_nonces WHERE vendor = 'mailgun' AND expires_at < ${toDate(receivedAt)})
          INSERT INTO seen_nonces (vendor, nonce, expires_at)
          VALUES ('mailgun', ${token}, ${toDate(DateTime.addDuration(receivedAt, keep))})
          ON CONFLICT (vendor, nonce) DO UPDATE SET expires_at = EXCLUDED.expires_at
            WHERE seen_nonces.expires_at < ${toDate(receivedAt)}
          RETURNING nonce`.pipe(Effect.map((rows) => rows.length > 0), Effect.orDie),
      forget: (token) => sql`DELETE FROM seen_nonces WHERE vendor = 'mailgun' AND nonce = ${token}`.pipe(Effect.as(undefined), Effect.orDie),
      size: sql`SELECT count(*)::int AS n FROM seen_nonces WHERE vendor = 'mailgun'`.pipe(
        Effect.flatMap(decodeCount),
        Effect.map((rows) => rows[0]?.n ?? 0),
        Effect.orDie
      )
    })
  })
)
