import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

const counters = `sent, delivered, opened, opened_total, opened_human, clicked, clicked_total, clicked_human, bounced,
  soft_bounced, complained, unsubscribed, failed, delivery_ms_total, delivery_ms_count`
const sums = counters.split(",").map((c) => `sum(${c.trim()})`).join(", ")
const addTo = (table: string) => counters.split(",").map((c) => `${c.trim()} = ${table}.${c.trim()} + EXCLUDED.${c.trim()}`).join(", ")

/**
 * Batches apply in one transaction and add to rollups and sender accounts directly, so what the
 * per-event pipeline left pending is folded in and its tables go; inbox rows carry their owner bucket. Addresses that soft-bounce keep
 * their timeline of soft bounces, deliveries and hard bounces (domain/SoftBounceStreak.ts).
 */
export default Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(`
INSERT INTO rollup_daily (org_id, day, channel, ${counters})
SELECT org_id, day, channel, ${sums} FROM rollup_pending GROUP BY org_id, day, channel
ON CONFLICT (org_id, day, channel) DO UPDATE SET ${addTo("rollup_daily")};
INSERT INTO rollup_broadcast (broadcast_id, org_id, ${counters})
SELECT broadcast_id, min(org_id), ${sums} FROM rollup_pending WHERE broadcast_id IS NOT NULL GROUP BY broadcast_id
ON CONFLICT (broadcast_id) DO UPDATE SET ${addTo("rollup_broadcast")};
DROP TABLE rollup_pending;

INSERT INTO sender_accounts AS s (id, org_id, sent, delivered, bounced, complained)
SELECT sender_account_id, min(org_id), count(*) FILTER (WHERE metric = 'sent'), count(*) FILTER (WHERE metric = 'delivered'),
  count(*) FILTER (WHERE metric = 'bounced'), count(*) FILTER (WHERE metric = 'complained')
FROM sender_counts_pending GROUP BY sender_account_id
ON CONFLICT (id) DO UPDATE SET sent = s.sent + EXCLUDED.sent, delivered = s.delivered + EXCLUDED.delivered,
  bounced = s.bounced + EXCLUDED.bounced, complained = s.complained + EXCLUDED.complained;
UPDATE sender_accounts SET bounce_rate = CASE WHEN sent = 0 THEN 0 ELSE bounced::float8 / sent END,
  complaint_rate = CASE WHEN sent = 0 THEN 0 ELSE complained::float8 / sent END;
DROP TABLE sender_counts_pending;

ALTER TABLE deliveries DROP COLUMN soft_bounce_streak;
-- Whether an open (a click) not flagged as a machine's is recorded: the unique human counts.
ALTER TABLE deliveries ADD COLUMN human_opened boolean NOT NULL DEFAULT false, ADD COLUMN human_clicked boolean NOT NULL DEFAULT false;
UPDATE deliveries d SET human_opened = h.opened, human_clicked = h.clicked
FROM (SELECT delivery_id, bool_or(type = 'opened') AS opened, bool_or(type = 'clicked') AS clicked FROM delivery_events
  WHERE type IN ('opened', 'clicked') AND (details->>'machine') IS DISTINCT FROM 'true' GROUP BY delivery_id) h
WHERE d.id = h.delivery_id;

-- Which share of the pipeline claims a row: the owner bucket of its contact key (storage/KeyOwnership.ts).
ALTER TABLE ingest_inbox ADD COLUMN bucket smallint NOT NULL DEFAULT 0;

CREATE TABLE address_timelines (
  org_id text NOT NULL,
  channel text NOT NULL,
  address text NOT NULL,
  -- [[occurred at (ms), event key, 's' | 'd' | 'h', delivery id], …] in occurrence order
  entries jsonb NOT NULL,
  PRIMARY KEY (org_id, channel, address)
);
`))
