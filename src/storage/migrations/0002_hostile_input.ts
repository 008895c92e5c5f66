import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * A refused body is kept byte for byte (a NUL or invalid UTF-8 could not be stored as text), and the
 * nonces a provider signs with (Mailgun's tokens) are remembered by every instance across restarts.
 */
export default Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(`
ALTER TABLE dead_letters ALTER COLUMN raw_body TYPE bytea USING convert_to(raw_body, 'UTF8');

CREATE TABLE seen_nonces (
  vendor text NOT NULL,
  nonce text NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (vendor, nonce)
);
CREATE INDEX seen_nonces_expiry ON seen_nonces (expires_at);
`))
