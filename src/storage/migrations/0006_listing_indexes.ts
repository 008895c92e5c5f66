import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * The org's listings page newest first by keyset on (time, id): `GET /broadcast` and `GET /audit`. An
 * index on (org_id, time) alone cannot take the row comparison `(time, id) < (cursor)` as its bound, so
 * page n would read the n−1 pages before it; these end in id and serve it exactly. A subject (one
 * address's history) or an action (a rare one such as suppression.lifted) would otherwise be found by
 * reading the org's whole log. The audit log and broadcasts are append-only, so their extra indexes cost
 * a write each and never a HOT update (migration 0004).
 * Not indexed: a broadcast's recipients page on its primary key (broadcast_id, channel, address), and a
 * status filter reads the same range; an org's sender accounts are a few rows under sender_accounts_org.
 */
export default Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(`
DROP INDEX broadcasts_org;
CREATE INDEX broadcasts_page ON broadcasts (org_id, created_at DESC, id DESC);
DROP INDEX audit_log_org;
CREATE INDEX audit_log_page ON audit_log (org_id, created_at DESC, id DESC);
CREATE INDEX audit_log_subject ON audit_log (org_id, subject, created_at DESC, id DESC);
CREATE INDEX audit_log_action ON audit_log (org_id, action, created_at DESC, id DESC);
`))
