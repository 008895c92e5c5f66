import * as SqlClient from "@effect/sql/SqlClient"
import type { DateTime } from "effect"
import { Effect, Schema } from "effect"
import type { Activity, AuditEntry } from "../domain/Records.js"
import { toDate, toDateTime } from "./Rows.js"

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

interface ActivityRow {
  readonly id: number
  readonly org_id: string
  readonly contact_id: string | null
  readonly delivery_id: number | null
  readonly kind: string
  readonly title: string
  readonly reason: string | null
  readonly occurred_at: Date
}

interface AuditRow {
  readonly id: number
  readonly org_id: string
  readonly actor: string
  readonly action: string
  readonly subject: string
  readonly details: unknown
  readonly source_key: string | null
  readonly created_at: Date
}

const fromActivityRow = (row: ActivityRow): Activity => ({
  id: row.id,
  orgId: row.org_id,
  contactId: row.contact_id,
  deliveryId: row.delivery_id,
  kind: row.kind,
  title: row.title,
  reason: row.reason,
  occurredAt: toDateTime(row.occurred_at)
})

const decodeDetails = Schema.decodeUnknownSync(Schema.Record({ key: Schema.String, value: Schema.Unknown }))

const fromAuditRow = (row: AuditRow): AuditEntry => ({
  id: row.id,
  orgId: row.org_id,
  actor: row.actor,
  action: row.action,
  subject: row.subject,
  details: decodeDetails(row.details),
  sourceKey: row.source_key,
  createdAt: toDateTime(row.created_at)
})

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
      const rows = yield* sql<ActivityRow>`
        SELECT * FROM activities WHERE contact_id = ${contactId} ORDER BY occurred_at DESC, id DESC LIMIT ${limit}`
      return rows.map(fromActivityRow)
    }, Effect.orDie)

    const audit = Effect.fn("ActivityRepository.audit")(function* (input: NewAuditEntry) {
      yield* sql`
        INSERT INTO audit_log (org_id, actor, action, subject, details, source_key)
        VALUES (${input.orgId}, ${input.actor}, ${input.action}, ${input.subject},
          ${JSON.stringify(input.details)}::jsonb, ${input.sourceKey})
        ON CONFLICT (org_id, source_key, action) DO NOTHING`
    }, Effect.orDie)

    const auditLog = Effect.fn("ActivityRepository.auditLog")(function* (orgId: string, limit: number) {
      const rows = yield* sql<AuditRow>`
        SELECT * FROM audit_log WHERE org_id = ${orgId} ORDER BY created_at DESC, id DESC LIMIT ${limit}`
      return rows.map(fromAuditRow)
    }, Effect.orDie)

    return { record, forContact, audit, auditLog } as const
  })
}) {}
