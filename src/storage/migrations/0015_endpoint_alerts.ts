import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * A notification endpoint the dispatcher disabled after sustained failure is a health alert of its org
 * until re-enabled (#17); one the org disabled itself is not.
 */
export default Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(`
ALTER TABLE notification_endpoints ADD COLUMN disabled_by_failure boolean NOT NULL DEFAULT false;
CREATE INDEX notification_endpoints_failed ON notification_endpoints (org_id) WHERE disabled_by_failure;
`))
