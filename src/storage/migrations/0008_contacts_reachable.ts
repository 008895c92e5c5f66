import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * Contacts reachable (#16 item 3). `GET /contacts` pages an org's contacts newest first by keyset on
 * (created_at, id): an index ending in id serves the row comparison as its bound, as migration 0006's do.
 * Lookups by email, phone or WhatsApp use the unique indexes of 0001.
 * A delivery names the contact holding its address (storage/ContactLinks.ts): the rows written before
 * are linked here, each channel in one statement over the unique (org, address) indexes.
 * contact_engagement: per contact and channel, the time of its last human (not machine-flagged) open or
 * click, raised with GREATEST by the pipeline (storage/EngagementWrites.ts); filled here from the
 * recorded opens and clicks of the deliveries now linked.
 */
export default Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(`
CREATE INDEX contacts_page ON contacts (org_id, created_at DESC, id DESC);
UPDATE deliveries d SET contact_id = c.id FROM contacts c
  WHERE d.contact_id IS NULL AND d.channel = 'email' AND c.org_id = d.org_id AND c.email = d.recipient;
UPDATE deliveries d SET contact_id = c.id FROM contacts c
  WHERE d.contact_id IS NULL AND d.channel = 'sms' AND c.org_id = d.org_id AND c.phone = d.recipient;
UPDATE deliveries d SET contact_id = c.id FROM contacts c
  WHERE d.contact_id IS NULL AND d.channel = 'whatsapp' AND c.org_id = d.org_id AND c.whatsapp = d.recipient;
UPDATE deliveries d SET contact_id = t.contact_id FROM push_tokens t
  WHERE d.contact_id IS NULL AND d.channel = 'push' AND t.org_id = d.org_id AND t.token = d.recipient AND t.contact_id IS NOT NULL;
CREATE TABLE contact_engagement (
  contact_id text NOT NULL REFERENCES contacts (id),
  channel text NOT NULL,
  last_engaged_at timestamptz NOT NULL,
  PRIMARY KEY (contact_id, channel)
);
INSERT INTO contact_engagement (contact_id, channel, last_engaged_at)
  SELECT c.id, d.channel, max(e.occurred_at) FROM delivery_events e
  JOIN deliveries d ON d.id = e.delivery_id
  JOIN contacts c ON c.id = d.contact_id AND c.org_id = d.org_id
  WHERE e.type IN ('opened', 'clicked') AND (e.details->>'machine') IS DISTINCT FROM 'true'
  GROUP BY c.id, d.channel;
`))
