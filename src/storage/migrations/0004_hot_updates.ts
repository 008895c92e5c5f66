import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * Every applied batch rewrites its deliveries' status and milestones. With no index on a column it
 * changes and room left on each page, PostgreSQL updates a row in place of its page (a HOT update)
 * instead of adding an entry to each of the table's indexes: the (broadcast_id, status, id) index goes
 * (report pages filter status over the broadcast's rows in id order, `deliveries_broadcast_page`), and
 * pages are filled to 80%. Measured: the batch's delivery update 75 → 44 ms, apply +14%.
 */
export default Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(`
DROP INDEX deliveries_report;
ALTER TABLE deliveries SET (fillfactor = 80);
`))
