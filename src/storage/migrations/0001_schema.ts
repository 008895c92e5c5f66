import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * The whole domain, designed up front so later features add rows, not rework.
 * Counters are bigint (read back as JS numbers); times are timestamptz; details are jsonb.
 */
export default Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(`
CREATE TABLE provider_connections (
  id text PRIMARY KEY,
  org_id text NOT NULL,
  vendor text NOT NULL,
  secrets jsonb NOT NULL DEFAULT '{}',
  settings jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX provider_connections_org ON provider_connections (org_id, vendor);

CREATE TABLE broadcasts (
  id text PRIMARY KEY,
  org_id text NOT NULL,
  name text NOT NULL,
  category text NOT NULL CHECK (category IN ('transactional', 'marketing', 'security')),
  channels text[] NOT NULL DEFAULT '{}',
  retry_of text REFERENCES broadcasts (id),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX broadcasts_org ON broadcasts (org_id, created_at DESC);

CREATE TABLE broadcast_recipients (
  broadcast_id text NOT NULL REFERENCES broadcasts (id),
  channel text NOT NULL,
  address text NOT NULL,
  contact_id text,
  removed_at timestamptz,
  removed_reason text,
  PRIMARY KEY (broadcast_id, channel, address)
);

CREATE TABLE contacts (
  id text PRIMARY KEY,
  org_id text NOT NULL,
  email text,
  phone text,
  whatsapp text,
  attributes jsonb NOT NULL DEFAULT '{}',
  bounced_channels text[] NOT NULL DEFAULT '{}',
  opted_out text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX contacts_email ON contacts (org_id, email) WHERE email IS NOT NULL;
CREATE UNIQUE INDEX contacts_phone ON contacts (org_id, phone) WHERE phone IS NOT NULL;
CREATE UNIQUE INDEX contacts_whatsapp ON contacts (org_id, whatsapp) WHERE whatsapp IS NOT NULL;

CREATE TABLE push_tokens (
  org_id text NOT NULL,
  token text NOT NULL,
  contact_id text REFERENCES contacts (id),
  provider text NOT NULL,
  active boolean NOT NULL DEFAULT true,
  deactivated_at timestamptz,
  deactivated_reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, token)
);
CREATE INDEX push_tokens_contact ON push_tokens (contact_id);

CREATE TABLE sender_accounts (
  id text PRIMARY KEY,
  org_id text NOT NULL,
  sent bigint NOT NULL DEFAULT 0,
  delivered bigint NOT NULL DEFAULT 0,
  bounced bigint NOT NULL DEFAULT 0,
  complained bigint NOT NULL DEFAULT 0,
  bounce_rate double precision NOT NULL DEFAULT 0,
  complaint_rate double precision NOT NULL DEFAULT 0,
  flagged_at timestamptz,
  flagged_reason text,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sender_accounts_org ON sender_accounts (org_id);

-- Counts owed to a sender account, written with the milestone that earns them and drained by the
-- account's actor in batches; the primary key makes each (delivery, metric) count at most once.
CREATE TABLE sender_counts_pending (
  delivery_id bigint NOT NULL,
  metric text NOT NULL,
  sender_account_id text NOT NULL,
  org_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (delivery_id, metric)
);
CREATE INDEX sender_counts_pending_account ON sender_counts_pending (sender_account_id);

CREATE TABLE deliveries (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id text NOT NULL,
  broadcast_id text,
  contact_id text,
  recipient text NOT NULL,
  channel text NOT NULL CHECK (channel IN ('email', 'sms', 'whatsapp', 'push')),
  status text NOT NULL,
  provider text NOT NULL,
  provider_message_id text,
  sender_account_id text,
  error_reason text,
  cost_value numeric,
  cost_unit text,
  -- First time each milestone was reached (the earliest event's time, whatever order they came in).
  queued_at timestamptz,
  sent_at timestamptz,
  delivered_at timestamptz,
  opened_at timestamptz,
  clicked_at timestamptz,
  failed_at timestamptz,
  bounced_at timestamptz,
  unsubscribed_at timestamptz,
  complained_at timestamptz,
  decided_at timestamptz,
  decided_by text,
  soft_bounce_streak integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- A provider's message id names one send; one row per recipient of it (SES and SendGrid batch recipients).
CREATE UNIQUE INDEX deliveries_provider_message ON deliveries (org_id, provider, provider_message_id, recipient)
  WHERE provider_message_id IS NOT NULL;
CREATE INDEX deliveries_message_id ON deliveries (provider_message_id) WHERE provider_message_id IS NOT NULL;
-- Report pages: WHERE broadcast_id = ? AND status IN (…) AND id > cursor ORDER BY id.
CREATE INDEX deliveries_report ON deliveries (broadcast_id, status, id);
CREATE INDEX deliveries_broadcast_page ON deliveries (broadcast_id, id);
CREATE INDEX deliveries_recipient ON deliveries (org_id, channel, recipient);

CREATE TABLE delivery_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  delivery_id bigint NOT NULL REFERENCES deliveries (id),
  org_id text NOT NULL,
  type text NOT NULL,
  occurred_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  provider text NOT NULL,
  provider_event_name text,
  provider_event_id text NOT NULL,
  details jsonb NOT NULL DEFAULT '{}',
  UNIQUE (provider, provider_event_id)
);
CREATE INDEX delivery_events_delivery ON delivery_events (delivery_id, occurred_at, id);
-- The activity feed: newest first per org, keyset on (occurred_at, id).
CREATE INDEX delivery_events_activity ON delivery_events (org_id, occurred_at DESC, id DESC);

CREATE TABLE suppressions (
  org_id text NOT NULL,
  channel text NOT NULL,
  address text NOT NULL,
  -- '' suppresses the whole channel; a category name only that category.
  category text NOT NULL DEFAULT '',
  reason text NOT NULL CHECK (reason IN ('unsubscribe', 'bounce', 'complaint', 'invalid', 'admin')),
  source text NOT NULL,
  metadata jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, channel, address, category)
);

CREATE TABLE activities (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id text NOT NULL,
  contact_id text,
  delivery_id bigint,
  kind text NOT NULL,
  title text NOT NULL,
  reason text,
  -- The event (or request) that caused it: recording the same cause twice adds nothing.
  source_key text NOT NULL,
  occurred_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, source_key, kind)
);
CREATE INDEX activities_contact ON activities (contact_id, occurred_at DESC);
CREATE INDEX activities_org ON activities (org_id, occurred_at DESC);

CREATE TABLE audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id text NOT NULL,
  actor text NOT NULL,
  action text NOT NULL,
  subject text NOT NULL,
  details jsonb NOT NULL DEFAULT '{}',
  source_key text,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, source_key, action)
);
CREATE INDEX audit_log_org ON audit_log (org_id, created_at DESC);

CREATE TABLE ingest_inbox (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id text NOT NULL,
  provider text NOT NULL,
  provider_event_id text NOT NULL,
  event jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  processed_at timestamptz,
  -- A claimed row is leased until then; a failed one waits until then for its retry.
  available_at timestamptz NOT NULL DEFAULT now(),
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  UNIQUE (provider, provider_event_id)
);
CREATE INDEX ingest_inbox_pending ON ingest_inbox (id) WHERE processed_at IS NULL;

CREATE TABLE dead_letters (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id text NOT NULL,
  provider text NOT NULL,
  inbox_id bigint REFERENCES ingest_inbox (id),
  stage text NOT NULL CHECK (stage IN ('decode', 'apply')),
  error text NOT NULL,
  raw_body text,
  -- What decoding needs besides the body (some providers put the event id in a header).
  headers jsonb,
  url text,
  event jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  replayed_at timestamptz
);
CREATE INDEX dead_letters_open ON dead_letters (created_at DESC) WHERE replayed_at IS NULL;

-- Rollup deltas written with the events they count, then folded into the rollups in batches: every
-- event's transaction appends a row instead of waiting on one hot counter row per org and day.
CREATE TABLE rollup_pending (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id text NOT NULL,
  day date NOT NULL,
  channel text NOT NULL,
  broadcast_id text,
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
  delivery_ms_count bigint NOT NULL DEFAULT 0
);

CREATE TABLE rollup_broadcast (
  broadcast_id text PRIMARY KEY,
  org_id text NOT NULL,
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
  delivery_ms_count bigint NOT NULL DEFAULT 0
);

CREATE TABLE rollup_daily (
  org_id text NOT NULL,
  day date NOT NULL,
  channel text NOT NULL,
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
  PRIMARY KEY (org_id, day, channel)
);
`))
