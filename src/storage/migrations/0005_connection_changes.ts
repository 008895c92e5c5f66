import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * Instances keep the connections they verify webhooks with in memory (ConnectionRepository): every
 * change to one, whoever makes it, is announced on the `provider_connections` channel (its id, or `*`
 * when the table is emptied) so that each instance drops what it kept.
 */
export default Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(`
CREATE FUNCTION provider_connections_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('provider_connections', CASE WHEN TG_OP = 'TRUNCATE' THEN '*' ELSE OLD.id END);
  RETURN NULL;
END $$;
CREATE TRIGGER provider_connections_changed AFTER UPDATE OR DELETE ON provider_connections
  FOR EACH ROW EXECUTE FUNCTION provider_connections_changed();
CREATE TRIGGER provider_connections_emptied AFTER TRUNCATE ON provider_connections
  FOR EACH STATEMENT EXECUTE FUNCTION provider_connections_changed();
`))
