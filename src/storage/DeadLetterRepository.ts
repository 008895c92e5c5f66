import * as SqlClient from "@effect/sql/SqlClient"
import type { DateTime } from "effect"
import { Effect, Option } from "effect"
import type { DeadLetter, DeadLetterStage } from "../domain/Ingest.js"
import { rawBodyFields } from "../domain/Ingest.js"
import { storable } from "../domain/JsonText.js"
import { first, toDate, toDateTime, toDateTimeOrNull } from "./Rows.js"

export interface NewDeadLetter {
  readonly orgId: string
  readonly provider: string
  readonly inboxId: number | null
  readonly stage: DeadLetterStage
  readonly error: string
  readonly rawBody: Uint8Array | null
  readonly headers: Readonly<Record<string, string>> | null
  readonly url: string | null
  readonly event: unknown
  readonly at: DateTime.Utc
}

interface DeadLetterRow {
  readonly id: number
  readonly org_id: string
  readonly provider: string
  readonly inbox_id: number | null
  readonly stage: DeadLetterStage
  readonly error: string
  readonly raw_body: Uint8Array | null
  readonly headers: Record<string, string> | null
  readonly url: string | null
  readonly event: unknown
  readonly created_at: Date
  readonly replayed_at: Date | null
}

const fromRow = (row: DeadLetterRow): DeadLetter => ({
  id: row.id,
  orgId: row.org_id,
  provider: row.provider,
  inboxId: row.inbox_id,
  stage: row.stage,
  error: row.error,
  ...rawBodyFields(row.raw_body),
  headers: row.headers,
  url: row.url,
  event: row.event ?? null,
  createdAt: toDateTime(row.created_at),
  replayedAt: toDateTimeOrNull(row.replayed_at)
})

/** What could not be applied: bodies that verified but did not decode, and events that kept failing. */
export class DeadLetterRepository extends Effect.Service<DeadLetterRepository>()("Sendtrail/DeadLetterRepository", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const add = Effect.fn("DeadLetterRepository.add")(function* (input: NewDeadLetter) {
      const rows = yield* sql<{ id: number }>`
        INSERT INTO dead_letters (org_id, provider, inbox_id, stage, error, raw_body, headers, url, event, created_at)
        VALUES (${input.orgId}, ${input.provider}, ${input.inboxId}, ${input.stage}, ${storable(input.error)}, ${input.rawBody === null ? null : Buffer.from(input.rawBody)},
          ${input.headers === null ? null : storable(JSON.stringify(input.headers))}::jsonb, ${input.url === null ? null : storable(input.url)},
          ${input.event === null || input.event === undefined ? null : JSON.stringify(input.event)}::jsonb, ${toDate(input.at)})
        RETURNING id`
      return rows[0]!.id
    }, Effect.orDie)

    /** Newest first; replayed letters only when asked for. */
    const list = Effect.fn("DeadLetterRepository.list")(function* (options: { readonly limit: number; readonly includeReplayed: boolean }) {
      const rows = yield* sql<DeadLetterRow>`
        SELECT * FROM dead_letters
        ${options.includeReplayed ? sql`` : sql`WHERE replayed_at IS NULL`}
        ORDER BY id DESC LIMIT ${options.limit}`
      return rows.map(fromRow)
    }, Effect.orDie)

    const findById = Effect.fn("DeadLetterRepository.findById")(function* (id: number) {
      return Option.map(first(yield* sql<DeadLetterRow>`SELECT * FROM dead_letters WHERE id = ${id}`), fromRow)
    }, Effect.orDie)

    /** True for the call that marked it; a letter is replayed once. */
    const markReplayed = Effect.fn("DeadLetterRepository.markReplayed")(function* (id: number, at: DateTime.Utc) {
      const rows = yield* sql`UPDATE dead_letters SET replayed_at = ${toDate(at)} WHERE id = ${id} AND replayed_at IS NULL RETURNING id`
      return rows.length > 0
    }, Effect.orDie)

    return { add, list, findById, markReplayed } as const
  })
}) {}
