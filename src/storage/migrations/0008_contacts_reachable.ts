import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * Contacts reachable (#16 item 3). `GET /contacts` pages an org's contacts newest first by keyset on
 * (created_at, id): an index ending in id serves the row comparison as its bound, as migration 0006's do.
 * Lookups by email, phone or WhatsApp use the unique indexes of 0001.
 */
export default Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(`
CREATE INDEX contacts_page ON contacts (org_id, created_at DESC, id DESC);
`))
