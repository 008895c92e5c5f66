import type { SqlClient } from "@effect/sql/SqlClient"
import { Effect, Schema } from "effect"
import type { NormalizedEvent } from "../domain/Event.js"
import type { InboxEntry } from "../domain/Ingest.js"
import type { UnmatchedReason } from "../domain/OrgMatch.js"
import { resolveOrg } from "../domain/OrgMatch.js"
import { contactKey } from "../domain/Projection.js"
import * as KeyOwnership from "./KeyOwnership.js"
import { column } from "./RowSchemas.js"
import { decodeRows } from "./Rows.js"

const decodeOwners = decodeRows(Schema.Struct({
  provider: Schema.String,
  providerMessageId: column("provider_message_id", Schema.String),
  orgs: Schema.Array(Schema.String)
}))

export interface OrgMatches {
  /** Inbox rows now another org's: rewritten to that org and its owner bucket, left for that bucket's owner. */
  readonly rehomed: ReadonlySet<number>
  /** Events that stay the default org's, applied in this batch. */
  readonly unmatched: ReadonlyArray<{ readonly provider: string; readonly reason: UnmatchedReason }>
}

const none: OrgMatches = { rehomed: new Set(), unmatched: [] }

const messageKey = (provider: string, providerMessageId: string) => `${provider}\u0000${providerMessageId}`

/**
 * Finds whose the batch's events from org-less routes are (`domain/OrgMatch.resolveOrg`): one statement
 * reads the other orgs' deliveries by provider and message id (index deliveries_message_id), one
 * rewrites the rows. A batch without such events runs neither. A re-homed row is not applied under a
 * key this batch may not own: its new bucket's share claims it as that org's event.
 */
export const matchOrgs = (
  sql: SqlClient,
  entries: ReadonlyArray<{ readonly row: InboxEntry; readonly event: NormalizedEvent }>,
  defaultOrgId: string
) =>
  Effect.gen(function* () {
    const pending = entries.filter((e) => e.row.orgMatch === "pending")
    if (pending.length === 0) return none
    const keys = new Map(pending.map(({ event: e }) =>
      [messageKey(e.provider, e.providerMessageId), { provider: e.provider, provider_message_id: e.providerMessageId }]))
    const owners = yield* sql`
      SELECT k.provider, k.provider_message_id, array_agg(DISTINCT d.org_id) AS orgs
      FROM json_to_recordset(${JSON.stringify([...keys.values()])}::json) AS k(provider text, provider_message_id text)
      JOIN deliveries d ON d.provider_message_id = k.provider_message_id AND d.provider = k.provider AND d.org_id <> ${defaultOrgId}
      GROUP BY k.provider, k.provider_message_id`.pipe(Effect.flatMap(decodeOwners))
    const orgsOf = new Map(owners.map((o) => [messageKey(o.provider, o.providerMessageId), o.orgs]))
    const rehomed = new Set<number>()
    const unmatched: Array<OrgMatches["unmatched"][number]> = []
    const rows = pending.map(({ row, event }) => {
      const resolution = resolveOrg(defaultOrgId, orgsOf.get(messageKey(event.provider, event.providerMessageId)) ?? [])
      if (resolution._tag === "Matched") {
        rehomed.add(row.id)
        const bucket = KeyOwnership.bucketOf(contactKey({ ...event, orgId: resolution.orgId }))
        return { id: row.id, org_match: "matched", org_id: resolution.orgId, bucket, candidates: null }
      }
      unmatched.push({ provider: event.provider, reason: resolution.reason })
      return { id: row.id, org_match: resolution.reason, org_id: null, bucket: null, candidates: resolution.candidates }
    })
    yield* sql`
      UPDATE ingest_inbox i SET org_match = u.org_match, org_candidates = u.candidates,
        org_id = COALESCE(u.org_id, i.org_id), bucket = COALESCE(u.bucket, i.bucket),
        event = CASE WHEN u.org_id IS NULL THEN i.event ELSE jsonb_set(i.event, '{orgId}', to_jsonb(u.org_id)) END
      FROM json_to_recordset(${JSON.stringify(rows)}::json) AS u(id bigint, org_match text, org_id text, bucket int, candidates text[])
      WHERE i.id = u.id`
    return { rehomed, unmatched } satisfies OrgMatches
  })
