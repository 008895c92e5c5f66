import type { SqlClient } from "@effect/sql/SqlClient"

/**
 * A delivery names the contact holding its address (normalized, in its org), linked when either is
 * written: a delivery created (registration, the pipeline's load) takes the contact already there, and
 * a contact created (the pipeline's ensureMany, an import) takes the deliveries of its addresses that
 * name none. A contact id the sender gave is kept. Migration 0008 linked the rows written before.
 */

/** The id of the contact holding `<row>.recipient` on `<row>.channel` in `<row>.org_id`, or null: one unique-index lookup. */
export const contactOfRecipient = (sql: SqlClient, row: string) => sql.unsafe(`CASE ${row}.channel
  WHEN 'email' THEN (SELECT x.id FROM contacts x WHERE x.org_id = ${row}.org_id AND x.email = ${row}.recipient)
  WHEN 'sms' THEN (SELECT x.id FROM contacts x WHERE x.org_id = ${row}.org_id AND x.phone = ${row}.recipient)
  WHEN 'whatsapp' THEN (SELECT x.id FROM contacts x WHERE x.org_id = ${row}.org_id AND x.whatsapp = ${row}.recipient)
  WHEN 'telegram' THEN (SELECT x.id FROM contacts x WHERE x.org_id = ${row}.org_id AND x.telegram = ${row}.recipient)
  WHEN 'in_app' THEN (SELECT x.id FROM contacts x WHERE x.org_id = ${row}.org_id AND x.in_app = ${row}.recipient)
  WHEN 'push' THEN (SELECT x.contact_id FROM push_tokens x WHERE x.org_id = ${row}.org_id AND x.token = ${row}.recipient) END`)

/**
 * Links the deliveries naming no contact to the contacts of `made`, a CTE of the statement with columns
 * (id, org_id, email, phone, whatsapp, telegram, in_app): an UPDATE to end a `WITH made AS (INSERT … RETURNING …)`.
 */
export const linkDeliveriesTo = (sql: SqlClient, made: string) => sql.unsafe(`
  UPDATE deliveries d SET contact_id = m.id
  FROM (SELECT id, org_id, 'email' AS channel, email AS address FROM ${made} WHERE email IS NOT NULL
    UNION ALL SELECT id, org_id, 'sms', phone FROM ${made} WHERE phone IS NOT NULL
    UNION ALL SELECT id, org_id, 'whatsapp', whatsapp FROM ${made} WHERE whatsapp IS NOT NULL
    UNION ALL SELECT id, org_id, 'telegram', telegram FROM ${made} WHERE telegram IS NOT NULL
    UNION ALL SELECT id, org_id, 'in_app', in_app FROM ${made} WHERE in_app IS NOT NULL) m
  WHERE d.org_id = m.org_id AND d.channel = m.channel AND d.recipient = m.address AND d.contact_id IS NULL`)
