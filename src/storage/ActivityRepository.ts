import * as SqlClient from "@effect/sql/SqlClient"
import type { DateTime } from "effect"
import { Effect } from "effect"
import { ActivityRow, AuditRow } from "./RowSchemas.js"
import { decodeRows, toDate } from "./Rows.js"

export interface NewActivity {
  readonly orgId: string
  readonly contactId: string | null
  readonly deliveryId: number | null
  readonly kind: string
  readonly title: string
  readonly reason: string | null
  /** The event (or request) that caused it: recording the same cause and kind twice adds nothing. */
  readonly sourceKey: string
  readonly occurredAt: DateTime.Utc
}

export interface NewAuditEntry {
  readonly orgId: string
  readonly actor: string
  readonly action: string
  readonly subject: string
  readonly details: Record<string, unknown>
  /** When given, the same action from the same source is written once. */
  readonly sourceKey: string | null
}

const decodeActivities = decodeRows(ActivityRow)
const decodeAudit = decodeRows(AuditRow)

/** The CRM timeline of each contact and the org's audit log, both append-only. */
export class ActivityRepository extends Effect.Service<ActivityRepository>()("Sendtrail/ActivityRepository", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    /** True when recorded now; false when this cause already recorded an activity of this kind. */
    const record = Effect.fn("ActivityRepository.record")(function* (input: NewActivity) {
      const rows = yield* sql`
        INSERT INTO activities (org_id, contact_id, delivery_id, kind, title, reason, source_key, occurred_at)
        VALUES (${input.orgId}, ${input.contactId}, ${input.deliveryId}, ${input.kind}, ${input.title},
          ${input.reason}, ${input.sourceKey}, ${toDate(input.occurredAt)})
        ON CONFLICT (org_id, source_key, kind) DO NOTHING
        RETURNING 1`
      return rows.length > 0
    }, Effect.orDie)

    const forContact = Effect.fn("ActivityRepository.forContact")(function* (contactId: string, limit: number) {
      return yield* decodeActivities(yield* sql`
        SELECT * FROM activities WHERE contact_id = ${contactId} ORDER BY occurred_at DESC, id DESC LIMIT ${limit}`)
    }, Effect.orDie)

    const audit = Effect.fn("ActivityRepository.audit")(function* (input: NewAuditEntry) {
      yield* sql`
        INSERT INTO audit_log (org_id, actor, action, subject, details, source_key)
        VALUES (${input.orgId}, ${input.actor}, ${input.action}, ${input.subject},
          ${JSON.stringify(input.details)}::jsonb, ${input.sourceKey})
        ON CONFLICT (org_id, source_key, action) DO NOTHING`
    }, Effect.orDie)

    const auditLog = Effect.fn("ActivityRepository.auditLog")(function* (orgId: string, limit: number) {
      return yield* decodeAudit(yield* sql`
        SELECT * FROM audit_log WHERE org_id = ${orgId} ORDER BY created_at DESC, id DESC LIMIT ${limit}`)
    }, Effect.orDie)

    return { record, forContact, audit, auditLog } as const
  })
}) {}
