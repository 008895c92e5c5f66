import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * Events that name no org (#16 item 8): an inbox row from a route without an org in its path is
 * 'pending' until the pipeline looks its provider message id up among other orgs' deliveries; then
 * 'matched' (re-homed to that org), or 'no-delivery' / 'ambiguous' (applied under DEFAULT_ORG_ID,
 * listed by GET /admin/unmatched through the partial index). Rows with an org keep NULL. Nullable
 * columns and a NOT VALID check: nothing rewrites or scans the existing inbox.
 */
export default Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(`
ALTER TABLE ingest_inbox ADD COLUMN org_match text;
ALTER TABLE ingest_inbox ADD COLUMN org_candidates text[];
ALTER TABLE ingest_inbox ADD CONSTRAINT ingest_inbox_org_match_check
  CHECK (org_match IN ('pending', 'matched', 'no-delivery', 'ambiguous')) NOT VALID;
CREATE INDEX ingest_inbox_unmatched ON ingest_inbox (received_at DESC, id DESC) WHERE org_match IN ('no-delivery', 'ambiguous');
`))
