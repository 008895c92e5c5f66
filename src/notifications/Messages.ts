import * as SqlClient from "@effect/sql/SqlClient"
import { DateTime, Effect, Option, Schema } from "effect"
import * as Cursor from "../storage/Cursor.js"
import { column, NullableTimestamp, Timestamp } from "../storage/RowSchemas.js"
import { decodeFirst, decodeRows, toDate } from "../storage/Rows.js"
import { Format, Payload } from "./Formats.js"

/** A message claimed for an attempt, with what sending it needs from its endpoint. */
const ClaimedRow = Schema.Struct({
  id: Schema.String,
  endpointId: column("endpoint_id", Schema.String),
  orgId: column("org_id", Schema.String),
  payload: Payload,
  attempts: Schema.Number,
  dueSince: column("due_since", Timestamp),
  url: Schema.String,
  format: Format,
  secret: Schema.String,
  previousSecret: column("previous_secret", Schema.NullOr(Schema.String))
})
export type Claimed = typeof ClaimedRow.Type
const decodeClaimed = decodeRows(ClaimedRow)

export const AttemptOutcome = Schema.Literal("delivered", "failed", "refused", "dead")
export type AttemptOutcome = typeof AttemptOutcome.Type

/** One line of an endpoint's delivery log. */
export const Attempt = Schema.Struct({
  id: Schema.Number,
  messageId: Schema.String,
  type: Schema.String,
  attempt: Schema.Number,
  attemptedAt: Schema.DateTimeUtc,
  outcome: AttemptOutcome,
  statusCode: Schema.NullOr(Schema.Number),
  latencyMs: Schema.Number,
  error: Schema.NullOr(Schema.String),
  responseExcerpt: Schema.NullOr(Schema.String).annotations({ description: "the first KB of the answer's body" }),
  nextRetryAt: Schema.NullOr(Schema.DateTimeUtc).annotations({ description: "null: no retry (delivered, or dead)" })
})

const AttemptRow = Schema.Struct({
  ...Attempt.fields,
  messageId: column("message_id", Schema.String),
  type: column("event_type", Schema.String),
  attemptedAt: column("attempted_at", Timestamp),
  statusCode: column("status_code", Schema.NullOr(Schema.Number)),
  latencyMs: column("latency_ms", Schema.Number),
  responseExcerpt: column("response_excerpt", Schema.NullOr(Schema.String)),
  nextRetryAt: column("next_retry_at", NullableTimestamp)
})
const decodeAttempts = decodeRows(Schema.Struct({ ...AttemptRow.fields, micros: Schema.String }))

/** What an attempt did, as the Dispatcher decided it. */
export interface AttemptRecord {
  readonly message: Claimed
  readonly outcome: AttemptOutcome
  readonly statusCode: number | null
  readonly latencyMs: number
  readonly error: string | null
  readonly responseExcerpt: string | null
  /** When the message is tried again; null when it is finished (delivered, or dead). */
  readonly nextRetryAt: DateTime.Utc | null
}

export interface DisablePolicy {
  readonly failures: number
  readonly seconds: number
}

/** The log's keyset, newest first: the attempt's time and id, for one endpoint. */
export const attemptCursor = Cursor.scoped("notification-attempts", Cursor.timeKey(Schema.Int))
export type AttemptCursor = typeof attemptCursor.Param.Type

const decodeDisabled = decodeFirst(Schema.Struct({ disabledNow: column("disabled_now", Schema.Boolean), url: Schema.String }))
const decodeCount = decodeFirst(Schema.Struct({ n: Schema.Number }))

/** The outbox's rows as the Dispatcher and the API's log and replay see them. */
export class Messages extends Effect.Service<Messages>()("Sendtrail/NotificationMessages", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    /**
     * Claims due messages of enabled endpoints not in `busy`, at most `perEndpoint` of each: their next
     * attempt moves `leaseSeconds` ahead, so another instance (or this one after a crash) takes them
     * again only if this attempt never records. Row locks are skipped, not waited for.
     */
    const claim = Effect.fn("Messages.claim")(function* (busy: ReadonlyArray<string>, perEndpoint: number, max: number, leaseSeconds: number) {
      return yield* decodeClaimed(yield* sql`
        WITH candidates AS (
          SELECT o.id, o.endpoint_id, o.next_attempt_at FROM notification_outbox o
          WHERE o.state = 'pending' AND o.next_attempt_at <= now()
            AND NOT o.endpoint_id IN (SELECT json_array_elements_text(${JSON.stringify(busy)}::json))
            AND EXISTS (SELECT 1 FROM notification_endpoints e WHERE e.id = o.endpoint_id AND e.enabled)
          ORDER BY o.next_attempt_at LIMIT ${max * 4}
          FOR UPDATE OF o SKIP LOCKED),
        picked AS (
          SELECT id FROM (SELECT id, next_attempt_at, row_number() OVER (PARTITION BY endpoint_id ORDER BY next_attempt_at, id) AS n FROM candidates) c
          WHERE n <= ${perEndpoint} ORDER BY next_attempt_at LIMIT ${max})
        UPDATE notification_outbox o SET next_attempt_at = now() + make_interval(secs => ${leaseSeconds}), attempts = o.attempts + 1
        FROM picked, notification_endpoints e
        WHERE o.id = picked.id AND e.id = o.endpoint_id
        RETURNING o.id, o.endpoint_id, o.org_id, o.payload, o.attempts, o.due_since, e.url, e.format, e.secret,
          CASE WHEN e.previous_secret_expires_at > now() THEN e.previous_secret END AS previous_secret`)
    }, Effect.orDie)

    /**
     * Writes the attempt to the log, finishes or reschedules the message and keeps the endpoint's run
     * of failures, in one statement; true when this failure disabled the endpoint (failing for at least
     * `policy.seconds` and `policy.failures` attempts in a row).
     */
    const record = Effect.fn("Messages.record")(function* (r: AttemptRecord, policy: DisablePolicy) {
      const ok = r.outcome === "delivered"
      const state = ok ? "delivered" : r.nextRetryAt === null ? "dead" : "pending"
      const next = r.nextRetryAt === null ? null : toDate(r.nextRetryAt)
      const rows = yield* sql`
        WITH attempt AS (
          INSERT INTO notification_attempts (message_id, endpoint_id, attempt, attempted_at, outcome, status_code, latency_ms, error, response_excerpt, next_retry_at)
          VALUES (${r.message.id}, ${r.message.endpointId}, ${r.message.attempts}, now(), ${r.outcome}, ${r.statusCode}, ${Math.round(r.latencyMs)},
            ${r.error}, ${r.responseExcerpt}, ${next})),
        message AS (
          UPDATE notification_outbox SET state = ${state}, next_attempt_at = coalesce(${next}::timestamptz, next_attempt_at),
            finished_at = CASE WHEN ${state} = 'pending' THEN NULL ELSE now() END
          WHERE id = ${r.message.id})
        UPDATE notification_endpoints e SET
          consecutive_failures = CASE WHEN ${ok} THEN 0 ELSE e.consecutive_failures + 1 END,
          failing_since = CASE WHEN ${ok} THEN NULL ELSE coalesce(e.failing_since, now()) END,
          enabled = e.enabled AND NOT d.disable,
          disabled_at = CASE WHEN e.enabled AND d.disable THEN now() ELSE e.disabled_at END,
          disabled_by_failure = e.disabled_by_failure OR (e.enabled AND d.disable),
          disabled_reason = CASE WHEN e.enabled AND d.disable
            THEN format('%s attempts in a row failed since %s', e.consecutive_failures + 1, coalesce(e.failing_since, now())) ELSE e.disabled_reason END
        FROM (SELECT NOT ${ok} AND consecutive_failures + 1 >= ${policy.failures}
            AND now() - coalesce(failing_since, now()) >= make_interval(secs => ${policy.seconds}) AS disable
          FROM notification_endpoints WHERE id = ${r.message.endpointId}) d
        WHERE e.id = ${r.message.endpointId}
        RETURNING (d.disable AND e.disabled_at = now()) AS disabled_now, e.url`
      return Option.exists(yield* decodeDisabled(rows), (row) => row.disabledNow)
    }, Effect.orDie)

    /** A message for one endpoint only (a test send), claimed at once: the caller attempts it now. */
    const single = Effect.fn("Messages.single")(function* (orgId: string, endpointId: string, type: string, payload: Payload, leaseSeconds: number) {
      const id = `msg_${crypto.randomUUID().replaceAll("-", "")}`
      yield* sql`
        INSERT INTO notification_outbox (id, endpoint_id, org_id, event_type, source_key, payload, attempts, next_attempt_at)
        VALUES (${id}, ${endpointId}, ${orgId}, ${type}, ${`${type}:${id}`}, ${JSON.stringify(payload)}::jsonb, 1,
          now() + make_interval(secs => ${leaseSeconds}))`
      return yield* decodeClaimed(yield* sql`
        SELECT o.id, o.endpoint_id, o.org_id, o.payload, o.attempts, o.due_since, e.url, e.format, e.secret,
          CASE WHEN e.previous_secret_expires_at > now() THEN e.previous_secret END AS previous_secret
        FROM notification_outbox o JOIN notification_endpoints e ON e.id = o.endpoint_id WHERE o.id = ${id}`)
    }, Effect.orDie)

    /**
     * Replay: the messages are due again now, under the ids they had (receivers dedupe on webhook-id),
     * with a new retry window. One message (0 or 1) or those created in [from, to).
     */
    const replay = Effect.fn("Messages.replay")(function* (orgId: string, endpointId: string,
      which: { readonly messageId: string } | { readonly from: DateTime.Utc; readonly to: DateTime.Utc }) {
      const rows = yield* sql`
        WITH replayed AS (
          UPDATE notification_outbox SET state = 'pending', next_attempt_at = now(), due_since = now(), finished_at = NULL
          WHERE org_id = ${orgId} AND endpoint_id = ${endpointId}
            ${"messageId" in which ? sql`AND id = ${which.messageId}` : sql`AND created_at >= ${toDate(which.from)} AND created_at < ${toDate(which.to)}`}
          RETURNING 1)
        SELECT count(*)::int AS n FROM replayed`
      return Option.match(yield* decodeCount(rows), { onNone: () => 0, onSome: (row) => row.n })
    }, Effect.orDie)

    const keyset = Cursor.newestFirst(sql, "a.attempted_at", "a.id")
    /** The endpoint's attempts, newest first; `messageId` narrows to one message. */
    const log = Effect.fn("Messages.log")(function* (endpointId: string, messageId: string | undefined, given: AttemptCursor | undefined, limit: number) {
      const scope = [endpointId, messageId ?? null]
      const before = yield* attemptCursor.keyIn(scope, given)
      const rows = yield* sql`
        SELECT a.*, o.event_type, ${keyset.key}
        FROM notification_attempts a JOIN notification_outbox o ON o.id = a.message_id
        WHERE a.endpoint_id = ${endpointId}
          ${messageId === undefined ? sql`` : sql`AND a.message_id = ${messageId}`}
          ${keyset.after(before)}
        ${keyset.order} LIMIT ${limit + 1}`.pipe(Effect.flatMap(decodeAttempts), Effect.orDie)
      const { items, next } = Cursor.cut(rows, limit)
      return {
        items: items.map(({ micros: _, ...attempt }) => attempt),
        nextCursor: next === undefined ? null : attemptCursor.encode(scope, next)
      }
    })

    return { claim, record, single, replay, log } as const
  })
}) {}
