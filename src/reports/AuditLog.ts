import * as SqlClient from "@effect/sql/SqlClient"
import { DateTime, Effect, Schema } from "effect"
import type { AuditEntry } from "../domain/Records.js"
import * as Cursor from "../storage/Cursor.js"
import { AuditRow } from "../storage/RowSchemas.js"
import { decodeRows, toDate } from "../storage/Rows.js"

export interface AuditFilter {
  readonly subject: string | undefined
  readonly action: string | undefined
  /** Entries at or after it. */
  readonly from: DateTime.Utc | undefined
  /** Entries before it. */
  readonly to: DateTime.Utc | undefined
}

/** The audit log's keyset, newest first: the last entry's time and id, for one org and filter. */
export const auditCursor = Cursor.scoped("audit", Cursor.timeKey(Schema.Int))
export type AuditCursor = typeof auditCursor.Param.Type

export type AuditView = Omit<AuditEntry, "orgId" | "sourceKey">

const scope = (orgId: string, filter: AuditFilter) =>
  [orgId, filter.subject ?? null, filter.action ?? null, filter.from === undefined ? null : DateTime.formatIso(filter.from),
    filter.to === undefined ? null : DateTime.formatIso(filter.to)]

const decodePage = decodeRows(Schema.Struct({ ...AuditRow.fields, micros: Schema.String }))

/**
 * The org's audit log as the org reads it: newest first, keyset on (created_at, id) over index
 * audit_log_page, or audit_log_subject / audit_log_action when filtered by one (migration 0006). The
 * cursor carries created_at in whole microseconds, as the activity feed's does. Read-only SQL: no
 * in-memory twin.
 */
export class AuditLog extends Effect.Service<AuditLog>()("Sendtrail/AuditLog", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const keyset = Cursor.newestFirst(sql, "created_at", "id")
    const page = Effect.fn("AuditLog.page")(function* (orgId: string, filter: AuditFilter, given: AuditCursor | undefined, limit: number) {
      const before = yield* auditCursor.keyIn(scope(orgId, filter), given)
      const rows = yield* sql`
        SELECT *, ${keyset.key} FROM audit_log
        WHERE org_id = ${orgId}
          ${filter.subject === undefined ? sql`` : sql`AND subject = ${filter.subject}`}
          ${filter.action === undefined ? sql`` : sql`AND action = ${filter.action}`}
          ${filter.from === undefined ? sql`` : sql`AND created_at >= ${toDate(filter.from)}`}
          ${filter.to === undefined ? sql`` : sql`AND created_at < ${toDate(filter.to)}`}
          ${keyset.after(before)}
        ${keyset.order} LIMIT ${limit + 1}`.pipe(Effect.flatMap(decodePage), Effect.orDie)
      const { items, next } = Cursor.cut(rows, limit)
      return {
        items: items.map(({ micros: _, orgId: __, sourceKey: ___, ...entry }): AuditView => entry),
        nextCursor: next === undefined ? null : auditCursor.encode(scope(orgId, filter), next)
      }
    })

    return { page } as const
  })
}) {}
