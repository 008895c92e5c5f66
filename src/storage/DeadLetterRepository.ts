import * as SqlClient from "@effect/sql/SqlClient"
import type { DateTime } from "effect"
import * as SqlSchema from "@effect/sql/SqlSchema"
import { Effect, Schema } from "effect"
import type { DeadLetterStage } from "../domain/Ingest.js"
import { storable } from "../domain/JsonText.js"
import { DeadLetterRow } from "./RowSchemas.js"
import { decodeRows, toDate } from "./Rows.js"

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

const decodeDeadLetters = decodeRows(DeadLetterRow)
const decodeId = decodeRows(Schema.Struct({ id: Schema.Number }))

/** What could not be applied: bodies that verified but did not decode, and events that kept failing. */
export class DeadLetterRepository extends Effect.Service<DeadLetterRepository>()("Sendtrail/DeadLetterRepository", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const add = Effect.fn("DeadLetterRepository.add")(function* (input: NewDeadLetter) {
      const rows = yield* sql`
        INSERT INTO dead_letters (org_id, provider, inbox_id, stage, error, raw_body, headers, url, event, created_at)
        VALUES (${input.orgId}, ${input.provider}, ${input.inboxId}, ${input.stage}, ${storable(input.error)}, ${input.rawBody === null ? null : Buffer.from(input.rawBody)},
          ${input.headers === null ? null : storable(JSON.stringify(input.headers))}::jsonb, ${input.url === null ? null : storable(input.url)},
          ${input.event === null || input.event === undefined ? null : JSON.stringify(input.event)}::jsonb, ${toDate(input.at)})
        RETURNING id`.pipe(Effect.flatMap(decodeId))
      return rows[0]!.id
    }, Effect.orDie)

    /** Newest first; replayed letters only when asked for. */
    const list = Effect.fn("DeadLetterRepository.list")(function* (options: { readonly limit: number; readonly includeReplayed: boolean }) {
      return yield* decodeDeadLetters(yield* sql`
        SELECT * FROM dead_letters
        ${options.includeReplayed ? sql`` : sql`WHERE replayed_at IS NULL`}
        ORDER BY id DESC LIMIT ${options.limit}`)
    }, Effect.orDie)

    const findById = Effect.fn("DeadLetterRepository.findById")(SqlSchema.findOne({
      Request: Schema.Number,
      Result: DeadLetterRow,
      execute: (id) => sql`SELECT * FROM dead_letters WHERE id = ${id}`
    }), Effect.orDie)

    /** True for the call that marked it; a letter is replayed once. */
    const markReplayed = Effect.fn("DeadLetterRepository.markReplayed")(function* (id: number, at: DateTime.Utc) {
      const rows = yield* sql`UPDATE dead_letters SET replayed_at = ${toDate(at)} WHERE id = ${id} AND replayed_at IS NULL RETURNING id`
      return rows.length > 0
    }, Effect.orDie)

    return { add, list, findById, markReplayed } as const
  })
}) {}
