import * as SqlClient from "@effect/sql/SqlClient"
import type { DateTime } from "effect"
import * as SqlSchema from "@effect/sql/SqlSchema"
import { Effect, Schema } from "effect"
import type { SenderAccount, SenderMetric } from "../domain/Records.js"
import type { SenderPolicy } from "../domain/SenderPolicy.js"
import { breach, rate } from "../domain/SenderPolicy.js"
import { SenderAccountRow, column } from "./RowSchemas.js"
import { decodeRows, toDate } from "./Rows.js"

export interface SenderCount {
  readonly id: string
  readonly orgId: string
  readonly metric: SenderMetric
  /** 1 unless given. */
  readonly by?: number | undefined
  readonly at: DateTime.Utc
  readonly policy: SenderPolicy
}

/** Counts to add to one account; rates and the flag follow from the sums. */
export type SenderIncrement = { readonly id: string; readonly orgId: string } & { readonly [M in SenderMetric]: number }

const decodeAccounts = decodeRows(SenderAccountRow)
const decodeCounted = decodeRows(Schema.Struct({ ...SenderAccountRow.fields, flaggedNow: column("flagged_now", Schema.Boolean) }))

/**
 * Reputation counters per sending account (a domain, a number). An account whose bounce or complaint
 * rate breaches the policy is flagged once, and stays flagged until someone unflags it.
 */
export class SenderAccountRepository extends Effect.Service<SenderAccountRepository>()("Sendtrail/SenderAccountRepository", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    /**
     * Adds the counts (one statement for every account, in id order so instances never deadlock), then
     * sets rates and flags from the sums in a second: the policy decides, and an account is flagged once
     * (`flaggedNow` says this call flagged it).
     * Not idempotent by itself: callers count a milestone in the transaction that first records it.
     */
    const addCounts = Effect.fn("SenderAccountRepository.addCounts")(
      function* (increments: ReadonlyArray<SenderIncrement>, at: DateTime.Utc, policy: SenderPolicy) {
        if (increments.length === 0) return []
        const sums = yield* sql`
          INSERT INTO sender_accounts AS s (id, org_id, sent, delivered, bounced, complained, updated_at)
          SELECT u.id, u.org_id, u.sent, u.delivered, u.bounced, u.complained, ${toDate(at)}
          FROM json_to_recordset(${JSON.stringify(increments.map(({ orgId, ...counts }) => ({ ...counts, org_id: orgId })))}::json)
            AS u(id text, org_id text, sent bigint, delivered bigint, bounced bigint, complained bigint)
          ORDER BY u.id
          ON CONFLICT (id) DO UPDATE SET sent = s.sent + EXCLUDED.sent, delivered = s.delivered + EXCLUDED.delivered,
            bounced = s.bounced + EXCLUDED.bounced, complained = s.complained + EXCLUDED.complained, updated_at = EXCLUDED.updated_at
          RETURNING *`.pipe(Effect.flatMap(decodeAccounts))
        const decided = sums.map((row) => ({
          id: row.id, bounce_rate: rate(row.bounced, row.sent), complaint_rate: rate(row.complained, row.sent),
          reason: row.flaggedAt === null ? breach(row, policy) : null
        }))
        return yield* sql`
          UPDATE sender_accounts s SET bounce_rate = u.bounce_rate, complaint_rate = u.complaint_rate,
            flagged_at = CASE WHEN u.reason IS NULL THEN s.flagged_at ELSE ${toDate(at)} END,
            flagged_reason = coalesce(u.reason, s.flagged_reason)
          FROM json_to_recordset(${JSON.stringify(decided)}::json) AS u(id text, bounce_rate float8, complaint_rate float8, reason text)
          WHERE s.id = u.id
          RETURNING s.*, u.reason IS NOT NULL AS flagged_now`.pipe(Effect.flatMap(decodeCounted))
      },
      // Both statements or neither, with the rows locked between them (a savepoint inside a batch's transaction).
      sql.withTransaction,
      Effect.orDie
    )

    /** One count of one metric (tests and tools); see addCounts. */
    const count = (input: SenderCount) =>
      Effect.map(
        addCounts([{ id: input.id, orgId: input.orgId, sent: 0, delivered: 0, bounced: 0, complained: 0, [input.metric]: input.by ?? 1 }], input.at, input.policy),
        (rows): SenderAccount => {
          const { flaggedNow: _, ...account } = rows[0]!
          return account
        }
      )

    const findById = Effect.fn("SenderAccountRepository.findById")(SqlSchema.findOne({
      Request: Schema.String,
      Result: SenderAccountRow,
      execute: (id) => sql`SELECT * FROM sender_accounts WHERE id = ${id}`
    }), Effect.orDie)

    /** Every account of the org, or of every org when none is given. */
    const list = Effect.fn("SenderAccountRepository.list")(function* (orgId: string | undefined) {
      return yield* decodeAccounts(yield* sql`
        SELECT * FROM sender_accounts ${orgId === undefined ? sql`` : sql`WHERE org_id = ${orgId}`} ORDER BY org_id, id`)
    }, Effect.orDie)

    /** The org's accounts by id; only the flagged ones, or only the others, when `flagged` is given. */
    const forOrg = Effect.fn("SenderAccountRepository.forOrg")(function* (orgId: string, flagged: boolean | undefined) {
      return yield* decodeAccounts(yield* sql`
        SELECT * FROM sender_accounts WHERE org_id = ${orgId}
          ${flagged === undefined ? sql`` : flagged ? sql`AND flagged_at IS NOT NULL` : sql`AND flagged_at IS NULL`}
        ORDER BY id`)
    }, Effect.orDie)

    /** Clears the flag; only a later count can set it again. */
    const unflag = Effect.fn("SenderAccountRepository.unflag")(function* (id: string, at: DateTime.Utc) {
      yield* sql`
        UPDATE sender_accounts SET flagged_at = NULL, flagged_reason = NULL, updated_at = ${toDate(at)}
        WHERE id = ${id} AND flagged_at IS NOT NULL`
      return yield* findById(id)
    }, Effect.orDie)

    return { addCounts, count, findById, list, forOrg, unflag } as const
  })
}) {}
