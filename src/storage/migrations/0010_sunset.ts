import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * Sunset (#17): suppressions written by a sunset run carry reason 'sunset' and source
 * 'sunset:<batch id>', by which the run is reversed; the index finds a run's rows.
 */
export default Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(`
ALTER TABLE suppressions DROP CONSTRAINT suppressions_reason_check;
ALTER TABLE suppressions ADD CONSTRAINT suppressions_reason_check
  CHECK (reason IN ('unsubscribe', 'bounce', 'complaint', 'invalid', 'admin', 'sunset'));
CREATE INDEX suppressions_source ON suppressions (org_id, source);
`))
