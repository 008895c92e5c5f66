import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * Streams kept apart (docs/decisions.md, "Categories are slugs"): a broadcast's category is any
 * lowercase slug, the product's named ones or an org's own; the daily rollups and the cost rollups
 * are kept per category too. What the rollups counted before this migration is not split: it stays
 * whole under `transactional`, so totals are unchanged. `rollup_hourly` counts per UTC hour for
 * health's rolling 24 h; it starts empty (nothing before it can be placed in an hour).
 */
export default Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(`
ALTER TABLE broadcasts DROP CONSTRAINT broadcasts_category_check;
ALTER TABLE broadcasts ADD CONSTRAINT broadcasts_category_check CHECK (category ~ '^[a-z][a-z0-9_-]{0,31}$');

ALTER TABLE rollup_daily ADD COLUMN category text NOT NULL DEFAULT 'transactional';
ALTER TABLE rollup_daily DROP CONSTRAINT rollup_daily_pkey;
ALTER TABLE rollup_daily ADD PRIMARY KEY (org_id, day, channel, category);

ALTER TABLE rollup_cost_daily ADD COLUMN category text NOT NULL DEFAULT 'transactional';
ALTER TABLE rollup_cost_daily DROP CONSTRAINT rollup_cost_daily_pkey;
ALTER TABLE rollup_cost_daily ADD PRIMARY KEY (org_id, day, channel, category, unit);

CREATE TABLE rollup_hourly (
  org_id text NOT NULL,
  hour timestamptz NOT NULL,
  channel text NOT NULL,
  category text NOT NULL,
  sent bigint NOT NULL DEFAULT 0,
  delivered bigint NOT NULL DEFAULT 0,
  opened bigint NOT NULL DEFAULT 0,
  opened_total bigint NOT NULL DEFAULT 0,
  opened_human bigint NOT NULL DEFAULT 0,
  clicked bigint NOT NULL DEFAULT 0,
  clicked_total bigint NOT NULL DEFAULT 0,
  clicked_human bigint NOT NULL DEFAULT 0,
  bounced bigint NOT NULL DEFAULT 0,
  soft_bounced bigint NOT NULL DEFAULT 0,
  complained bigint NOT NULL DEFAULT 0,
  unsubscribed bigint NOT NULL DEFAULT 0,
  failed bigint NOT NULL DEFAULT 0,
  delivery_ms_total bigint NOT NULL DEFAULT 0,
  delivery_ms_count bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (org_id, hour, channel, category)
);
`))
