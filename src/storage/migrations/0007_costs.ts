import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * Costs summed per unit, never one unit added to another: per org, day and channel, and per
 * broadcast, each a `numeric` total (exact) and the number of deliveries it sums. A delivery's cost
 * is counted once, on the UTC day its registration set it (docs/decisions.md, "A delivery's cost").
 * The deliveries costed before this migration are counted on the day they were created, which is
 * the day their registration set the cost.
 */
export default Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(`
CREATE TABLE rollup_cost_daily (
  org_id text NOT NULL,
  day date NOT NULL,
  channel text NOT NULL,
  unit text NOT NULL,
  total numeric NOT NULL DEFAULT 0,
  count bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (org_id, day, channel, unit)
);

CREATE TABLE rollup_cost_broadcast (
  broadcast_id text NOT NULL,
  unit text NOT NULL,
  org_id text NOT NULL,
  total numeric NOT NULL DEFAULT 0,
  count bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (broadcast_id, unit)
);

INSERT INTO rollup_cost_daily (org_id, day, channel, unit, total, count)
SELECT org_id, (created_at AT TIME ZONE 'UTC')::date, channel, cost_unit, sum(cost_value), count(*)
FROM deliveries WHERE cost_value IS NOT NULL AND cost_unit IS NOT NULL
GROUP BY 1, 2, 3, 4;

INSERT INTO rollup_cost_broadcast (broadcast_id, unit, org_id, total, count)
SELECT broadcast_id, cost_unit, min(org_id), sum(cost_value), count(*)
FROM deliveries WHERE cost_value IS NOT NULL AND cost_unit IS NOT NULL AND broadcast_id IS NOT NULL
GROUP BY 1, 2;
`))
