import type { SqlClient } from "@effect/sql/SqlClient"
import { DateTime, Effect } from "effect"
import type { Engagement } from "../domain/Engagement.js"
import { contactOfRecipient } from "./ContactLinks.js"

/**
 * A batch's latest human opens and clicks, raised onto their contacts' `contact_engagement` rows in one
 * statement: GREATEST keeps the later time, so the row depends on the set of events, never their order
 * or batches. The contact is the one the delivery names, if it is the org's, else the one holding the
 * address; an address no contact holds records nothing. Rows in key order, as every set write.
 */
export const writeEngagements = (sql: SqlClient, engagements: ReadonlyArray<Engagement>) =>
  engagements.length === 0 ? Effect.void : sql`
    INSERT INTO contact_engagement AS e (contact_id, channel, last_engaged_at)
    SELECT contact_id, channel, max(at) FROM (
      SELECT COALESCE((SELECT x.id FROM contacts x WHERE x.id = k.contact_id AND x.org_id = k.org_id), ${contactOfRecipient(sql, "k")}) AS contact_id,
        k.channel, k.at
      FROM json_to_recordset(${JSON.stringify(engagements.map((g) => ({
        org_id: g.orgId, channel: g.channel, recipient: g.recipient, contact_id: g.contactId, at: DateTime.formatIso(g.at)
      })))}::json) AS k(org_id text, channel text, recipient text, contact_id text, at timestamptz)) u
    WHERE contact_id IS NOT NULL
    GROUP BY contact_id, channel
    ORDER BY contact_id, channel
    ON CONFLICT (contact_id, channel) DO UPDATE SET last_engaged_at = GREATEST(e.last_engaged_at, EXCLUDED.last_engaged_at)`.pipe(Effect.asVoid)
