import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * Daily sunsets (#17): an org's standing sunset policy per channel and stream. `last_run_at` is the
 * claim: an instance runs a schedule only by moving it forward a day, so several instances never run
 * one twice.
 */
export default Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(`
CREATE TABLE sunset_schedules (
  org_id text NOT NULL,
  channel text NOT NULL,
  category text NOT NULL,
  unengaged_for text NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_run_at timestamptz,
  last_batch_id text,
  last_suppressed integer,
  PRIMARY KEY (org_id, channel, category)
);
CREATE INDEX sunset_schedules_due ON sunset_schedules (last_run_at NULLS FIRST);
`))
