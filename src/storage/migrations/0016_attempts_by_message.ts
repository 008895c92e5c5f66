import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * Deleting an endpoint cascades to its outbox messages and from them to their attempts: without an
 * index on the attempts' message id each deleted message would scan the whole attempt log.
 */
export default Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(`
CREATE INDEX notification_attempts_message ON notification_attempts (message_id);
`))
