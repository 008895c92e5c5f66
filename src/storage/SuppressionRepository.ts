import * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Schema } from "effect"
import type { Category } from "../domain/Event.js"
import { Channel, normalizeAddress } from "../domain/Event.js"
import type { Suppression, SuppressionReason } from "../domain/Records.js"
import * as Cursor from "./Cursor.js"
import { SuppressionRow, column } from "./RowSchemas.js"
import { decodeFirst, decodeRows } from "./Rows.js"

export interface NewSuppression {
  readonly orgId: string
  readonly channel: Channel
  readonly address: string
  /** null suppresses the whole channel. */
  readonly category: Category | null
  readonly reason: SuppressionReason
  readonly source: string
  readonly metadata: Record<string, unknown>
}

export interface ListSuppressions {
  readonly channel?: Channel | undefined
  readonly reason?: SuppressionReason | undefined
  readonly after?: string | undefined
  readonly limit: number
}

export interface SuppressionPage {
  readonly items: ReadonlyArray<Suppression>
  readonly nextCursor: string | null
}

/** The sort key of a listing: created at (ISO, UTC, up to microseconds), channel, address, category ('' for none). */
export const pageCursor = Cursor.make(Schema.Tuple(
  Schema.String.pipe(Schema.pattern(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3,6}Z$/)),
  Channel,
  Schema.String,
  Schema.String
))

const decodeSuppressions = decodeRows(SuppressionRow)
const decodeListed = decodeRows(Schema.Struct({ ...SuppressionRow.fields, createdKey: column("created_key", Schema.String) }))

/**
 * Addresses that must not be sent to, per org and channel, optionally scoped to one category.
 * The rule for which suppressions apply to a send is `suppressionApplies` in domain/Records.ts.
 */
export class SuppressionRepository extends Effect.Service<SuppressionRepository>()("Sendtrail/SuppressionRepository", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    /** True when newly added; an existing suppression keeps its first reason, source and time. */
    const add = Effect.fn("SuppressionRepository.add")(function* (input: NewSuppression) {
      const rows = yield* sql`
        INSERT INTO suppressions (org_id, channel, address, category, reason, source, metadata)
        VALUES (${input.orgId}, ${input.channel}, ${normalizeAddress(input.channel, input.address)},
          ${input.category ?? ""}, ${input.reason}, ${input.source}, ${JSON.stringify(input.metadata)}::jsonb)
        ON CONFLICT (org_id, channel, address, category) DO NOTHING
        RETURNING 1`
      return rows.length > 0
    }, Effect.orDie)

    /** The suppressed ones among `addresses`, keyed by normalized address (a whole-channel one first). */
    const check = Effect.fn("SuppressionRepository.check")(
      function* (orgId: string, channel: Channel, addresses: ReadonlyArray<string>, category?: Category) {
        const none: ReadonlyMap<string, Suppression> = new Map()
        if (addresses.length === 0) return none
        const normalized = [...new Set(addresses.map((address) => normalizeAddress(channel, address)))]
        const applies = category === undefined
          ? sql`category = ''`
          : category === "security"
          ? sql`category = '' AND reason <> 'unsubscribe'`
          : sql`category IN ('', ${category})`
        const rows = yield* decodeSuppressions(yield* sql`
          SELECT DISTINCT ON (address) * FROM suppressions
          WHERE org_id = ${orgId} AND channel = ${channel} AND address = ANY(${normalized}::text[]) AND ${applies}
          ORDER BY address, category = '' DESC, created_at`)
        const found: ReadonlyMap<string, Suppression> = new Map(rows.map((row) => [row.address, row]))
        return found
      },
      Effect.orDie
    )

    const list = Effect.fn("SuppressionRepository.list")(function* (orgId: string, options: ListSuppressions) {
      const after = options.after === undefined ? undefined : yield* pageCursor.decode(options.after)
      const rows = yield* sql`
        SELECT *, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_key
        FROM suppressions
        WHERE org_id = ${orgId}
          ${options.channel === undefined ? sql`` : sql`AND channel = ${options.channel}`}
          ${options.reason === undefined ? sql`` : sql`AND reason = ${options.reason}`}
          ${after === undefined ? sql`` : sql`AND (created_at, channel, address, category) >
            (${after[0]}::timestamptz, ${after[1]}, ${after[2]}, ${after[3]})`}
        ORDER BY created_at, channel, address, category
        LIMIT ${options.limit + 1}`.pipe(Effect.flatMap(decodeListed), Effect.orDie)
      const page = rows.slice(0, options.limit)
      const last = page[page.length - 1]
      return {
        items: page.map(({ createdKey: _, ...suppression }) => suppression),
        nextCursor: rows.length > options.limit && last !== undefined
          ? pageCursor.encode([last.createdKey, last.channel, last.address, last.category ?? ""])
          : null
      }
    })

    /** Lifts every suppression of the address on the channel, whole-channel and scoped; the count removed. */
    const remove = Effect.fn("SuppressionRepository.remove")(function* (orgId: string, channel: Channel, address: string) {
      const rows = yield* sql`
        DELETE FROM suppressions
        WHERE org_id = ${orgId} AND channel = ${channel} AND address = ${normalizeAddress(channel, address)}
        RETURNING 1`
      return rows.length
    }, Effect.orDie)

    /** Lifts the whole-channel suppression of the address when `source` set it; the count removed (0 or 1). */
    const removeFromSource = Effect.fn("SuppressionRepository.removeFromSource")(
      function* (orgId: string, channel: Channel, address: string, source: string) {
        const rows = yield* sql`
          DELETE FROM suppressions
          WHERE org_id = ${orgId} AND channel = ${channel} AND address = ${normalizeAddress(channel, address)} AND category = ''
            AND source = ${source}
          RETURNING 1`
        return rows.length
      },
      Effect.orDie
    )

    /** The one suppression with exactly this key (a null category is the whole-channel one). */
    const find = Effect.fn("SuppressionRepository.find")(
      function* (orgId: string, channel: Channel, address: string, category: Category | null) {
        return yield* decodeFirst(SuppressionRow)(yield* sql`
          SELECT * FROM suppressions
          WHERE org_id = ${orgId} AND channel = ${channel} AND address = ${normalizeAddress(channel, address)}
            AND category = ${category ?? ""}`)
      },
      Effect.orDie
    )

    return { add, check, find, list, remove, removeFromSource } as const
  })
}) {}
