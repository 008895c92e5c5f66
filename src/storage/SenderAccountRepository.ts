import * as SqlClient from "@effect/sql/SqlClient"
import type { Fragment } from "@effect/sql/Statement"
import type { DateTime } from "effect"
import { Effect, Option } from "effect"
import type { SenderAccount, SenderMetric } from "../domain/Records.js"
import type { SenderCounts, SenderPolicy } from "../domain/SenderPolicy.js"
import { breach, formatPercent, rate } from "../domain/SenderPolicy.js"
import { first, toDate, toDateTime, toDateTimeOrNull } from "./Rows.js"

export interface SenderCount {
  readonly id: string
  readonly orgId: string
  readonly metric: SenderMetric
  /** 1 unless given. */
  readonly by?: number | undefined
  readonly at: DateTime.Utc
  readonly policy: SenderPolicy
}

export interface OwedCount {
  readonly deliveryId: number
  readonly metric: SenderMetric
  readonly senderAccountId: string
  readonly orgId: string
}

export interface Owed {
  readonly orgId: string
  readonly counts: ReadonlyArray<readonly [SenderMetric, number]>
}

/** Sums owed counts per metric, in the order sent, delivered, bounced, complained (rates need sent first). */
export const sumOwed = (rows: ReadonlyArray<{ readonly metric: SenderMetric; readonly orgId: string }>): Option.Option<Owed> => {
  const first = rows[0]
  if (first === undefined) return Option.none()
  const order: ReadonlyArray<SenderMetric> = ["sent", "delivered", "bounced", "complained"]
  const counts = order
    .map((metric) => [metric, rows.filter((r) => r.metric === metric).length] as const)
    .filter(([, n]) => n > 0)
  return Option.some({ orgId: first.orgId, counts })
}

interface SenderRow {
  readonly id: string
  readonly org_id: string
  readonly sent: number
  readonly delivered: number
  readonly bounced: number
  readonly complained: number
  readonly bounce_rate: number
  readonly complaint_rate: number
  readonly flagged_at: Date | null
  readonly flagged_reason: string | null
  readonly updated_at: Date
}

const fromRow = (row: SenderRow): SenderAccount => ({
  id: row.id,
  orgId: row.org_id,
  sent: row.sent,
  delivered: row.delivered,
  bounced: row.bounced,
  complained: row.complained,
  bounceRate: row.bounce_rate,
  complaintRate: row.complaint_rate,
  flaggedAt: toDateTimeOrNull(row.flagged_at),
  flaggedReason: row.flagged_reason,
  updatedAt: toDateTime(row.updated_at)
})

/**
 * Reputation counters per sending account (a domain, a number). An account whose bounce or complaint
 * rate breaches the policy is flagged once, and stays flagged until someone unflags it.
 */
export class SenderAccountRepository extends Effect.Service<SenderAccountRepository>()("Sendtrail/SenderAccountRepository", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    // Not idempotent by itself: callers count a milestone in the transaction that first records it.
    const count = Effect.fn("SenderAccountRepository.count")(function* (input: SenderCount) {
      const by = input.by ?? 1
      const at = toDate(input.at)
      const { policy } = input
      const initial: SenderCounts = { sent: 0, delivered: 0, bounced: 0, complained: 0, [input.metric]: by }
      const initialBreach = breach(initial, policy)
      // In DO UPDATE every right-hand side sees the old row, so the new counts are spelled out.
      const next = (metric: SenderMetric): Fragment =>
        metric === input.metric ? sql`(s.${sql(metric)} + ${by}::int8)` : sql`s.${sql(metric)}`
      const ratio = (metric: SenderMetric) =>
        sql`(CASE WHEN ${next("sent")} = 0 THEN 0 ELSE ${next(metric)}::float8 / ${next("sent")} END)`
      const bounceOver = sql`${ratio("bounced")} > ${policy.maxBounceRate}::float8`
      const breaches = sql`s.flagged_at IS NULL AND ${next("sent")} >= ${policy.minimumSample}::int8
        AND (${bounceOver} OR ${ratio("complained")} > ${policy.maxComplaintRate}::float8)`
      const sentence = (label: string, metric: SenderMetric, threshold: number) =>
        sql`${label}::text || to_char(${ratio(metric)} * 100, 'FM999999990.00') || '% exceeds '
          || ${formatPercent(threshold)}::text || ' over ' || ${next("sent")} || ' sends'`
      const rows = yield* sql<SenderRow>`
        INSERT INTO sender_accounts AS s (id, org_id, sent, delivered, bounced, complained, bounce_rate, complaint_rate,
          flagged_at, flagged_reason, updated_at)
        VALUES (${input.id}, ${input.orgId}, ${initial.sent}, ${initial.delivered}, ${initial.bounced}, ${initial.complained},
          ${rate(initial.bounced, initial.sent)}, ${rate(initial.complained, initial.sent)},
          ${initialBreach === null ? null : at}, ${initialBreach}, ${at})
        ON CONFLICT (id) DO UPDATE SET
          ${sql(input.metric)} = ${next(input.metric)},
          bounce_rate = ${ratio("bounced")},
          complaint_rate = ${ratio("complained")},
          flagged_at = CASE WHEN ${breaches} THEN ${at}::timestamptz ELSE s.flagged_at END,
          flagged_reason = CASE WHEN ${breaches}
            THEN CASE WHEN ${bounceOver} THEN ${sentence("bounce rate ", "bounced", policy.maxBounceRate)}
              ELSE ${sentence("complaint rate ", "complained", policy.maxComplaintRate)} END
            ELSE s.flagged_reason END,
          updated_at = ${at}
        RETURNING *`
      return fromRow(rows[0]!)
    }, Effect.orDie)

    const findById = Effect.fn("SenderAccountRepository.findById")(function* (id: string) {
      return Option.map(first(yield* sql<SenderRow>`SELECT * FROM sender_accounts WHERE id = ${id}`), fromRow)
    }, Effect.orDie)

    /** Every account of the org, or of every org when none is given. */
    const list = Effect.fn("SenderAccountRepository.list")(function* (orgId: string | undefined) {
      const rows = yield* sql<SenderRow>`
        SELECT * FROM sender_accounts ${orgId === undefined ? sql`` : sql`WHERE org_id = ${orgId}`} ORDER BY org_id, id`
      return rows.map(fromRow)
    }, Effect.orDie)

    /** Clears the flag; only a later count can set it again. */
    const unflag = Effect.fn("SenderAccountRepository.unflag")(function* (id: string, at: DateTime.Utc) {
      yield* sql`
        UPDATE sender_accounts SET flagged_at = NULL, flagged_reason = NULL, updated_at = ${toDate(at)}
        WHERE id = ${id} AND flagged_at IS NOT NULL`
      return yield* findById(id)
    }, Effect.orDie)

    /** Records counts a sender account is owed, once per (delivery, metric), for its actor to settle. */
    const owe = Effect.fn("SenderAccountRepository.owe")(function* (entries: ReadonlyArray<OwedCount>) {
      if (entries.length === 0) return
      yield* sql`
        INSERT INTO sender_counts_pending ${sql.insert(entries.map((e) => ({
          delivery_id: e.deliveryId,
          metric: e.metric,
          sender_account_id: e.senderAccountId,
          org_id: e.orgId
        })))}
        ON CONFLICT (delivery_id, metric) DO NOTHING`
    }, Effect.orDie)

    /** Removes and sums what the account is owed; run it in the transaction that applies the sums. */
    const takeOwed = Effect.fn("SenderAccountRepository.takeOwed")(function* (senderAccountId: string) {
      const rows = yield* sql<{ metric: SenderMetric; org_id: string }>`
        DELETE FROM sender_counts_pending WHERE sender_account_id = ${senderAccountId} RETURNING metric, org_id`
      return sumOwed(rows.map((r) => ({ metric: r.metric, orgId: r.org_id })))
    }, Effect.orDie)

    const owedAccounts = Effect.fn("SenderAccountRepository.owedAccounts")(function* () {
      const rows = yield* sql<{ id: string }>`SELECT DISTINCT sender_account_id AS id FROM sender_counts_pending`
      return rows.map((r) => r.id)
    }, Effect.orDie)

    return { count, findById, list, unflag, owe, takeOwed, owedAccounts } as const
  })
}) {}
