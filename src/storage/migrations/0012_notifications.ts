import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * Outbound notifications (#17): an org's endpoints, the transactional outbox (a row per message and
 * endpoint, written in the transaction of the change that causes it), the delivery log (one row per
 * attempt) and the last health status a notification was sent for, per org.
 */
export default Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(`
CREATE TABLE notification_endpoints (
  id text PRIMARY KEY,
  org_id text NOT NULL,
  url text NOT NULL,
  format text NOT NULL CHECK (format IN ('standard', 'slack', 'discord')),
  event_types text[] NOT NULL,
  -- NULL: no filter on that dimension.
  broadcast_ids text[],
  categories text[],
  channels text[],
  description text NOT NULL DEFAULT '',
  -- whsec_…: the service signs with it, so it is kept as is; the previous one signs too until it expires.
  secret text NOT NULL,
  previous_secret text,
  previous_secret_expires_at timestamptz,
  enabled boolean NOT NULL DEFAULT true,
  disabled_at timestamptz,
  disabled_reason text,
  -- The current run of failed attempts: reset by a success; sustained, it disables the endpoint.
  failing_since timestamptz,
  consecutive_failures int NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notification_endpoints_org ON notification_endpoints (org_id, created_at, id);
CREATE INDEX notification_endpoints_enabled ON notification_endpoints (org_id) WHERE enabled;

CREATE TABLE notification_outbox (
  -- The Standard Webhooks webhook-id: the same on every retry and replay, for the receiver to dedupe.
  id text PRIMARY KEY,
  endpoint_id text NOT NULL REFERENCES notification_endpoints (id) ON DELETE CASCADE,
  org_id text NOT NULL,
  event_type text NOT NULL,
  -- What caused it (an event key, a suppression, a health change): one message per cause and endpoint.
  source_key text NOT NULL,
  -- { type, timestamp, data }: the body of the standard format; the other formats are rendered from it.
  payload jsonb NOT NULL,
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
  attempts int NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  -- Retries stop NOTIFICATION_RETRY_WINDOW_SECONDS after this: when it was first due, or replayed.
  due_since timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  UNIQUE (endpoint_id, source_key)
);
CREATE INDEX notification_outbox_due ON notification_outbox (next_attempt_at) WHERE state = 'pending';
CREATE INDEX notification_outbox_endpoint ON notification_outbox (endpoint_id, created_at);

CREATE TABLE notification_attempts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  message_id text NOT NULL REFERENCES notification_outbox (id) ON DELETE CASCADE,
  endpoint_id text NOT NULL,
  attempt int NOT NULL,
  attempted_at timestamptz NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('delivered', 'failed', 'refused', 'dead')),
  status_code int,
  latency_ms int NOT NULL,
  error text,
  response_excerpt text,
  next_retry_at timestamptz
);
CREATE INDEX notification_attempts_endpoint ON notification_attempts (endpoint_id, attempted_at DESC, id DESC);

CREATE TABLE notification_health_state (
  org_id text PRIMARY KEY,
  status text NOT NULL,
  changed_at timestamptz NOT NULL
);
`))
