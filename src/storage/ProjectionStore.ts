import * as SqlClient from "@effect/sql/SqlClient"
import { Data, DateTime, Effect, Either, Schema } from "effect"
import { AppConfig } from "../AppConfig.js"
import { resolve } from "../domain/AddressEffects.js"
import { lastEngagements } from "../domain/Engagement.js"
import type { NormalizedEvent } from "../domain/Event.js"
import { NormalizedEvent as NormalizedEventSchema } from "../domain/Event.js"
import type { InboxEntry } from "../domain/Ingest.js"
import type { Address } from "../domain/Projection.js"
import { contactKey, project } from "../domain/Projection.js"
import type { SenderAccount } from "../domain/Records.js"
import { typeOfEvent } from "../notifications/Formats.js"
import * as Outbox from "../notifications/Outbox.js"
import { ContactRepository } from "./ContactRepository.js"
import { writeEngagements } from "./EngagementWrites.js"
import type { Claim } from "./InboxRepository.js"
import { InboxRepository } from "./InboxRepository.js"
import * as KeyOwnership from "./KeyOwnership.js"
import type { OrgMatches } from "./OrgMatching.js"
import { matchOrgs } from "./OrgMatching.js"
import { loadBatchState } from "./ProjectionLoad.js"
import { writeAddressEffects, writeDeliveries, writeTimelines } from "./ProjectionWrites.js"
import { RollupRepository } from "./RollupRepository.js"
import { SenderAccountRepository } from "./SenderAccountRepository.js"
import { toDate } from "./Rows.js"

/** An inbox row's stored event, decoded (a boundary: the row may predate today's schema). */
export const decodeStoredEvent = Schema.decodeUnknownEither(NormalizedEventSchema)

export interface Claimed {
  readonly row: InboxEntry
  readonly event: NormalizedEvent
}

export interface BatchResult {
  /** Rows marked done, with their events (the new ones and the duplicates alike). */
  readonly completed: ReadonlyArray<Claimed>
  /** Events recorded for the first time, in inbox order. */
  readonly applied: ReadonlyArray<NormalizedEvent>
  /** Rows the projection refused (a tracking event naming no delivery), left for the caller to retry. */
  readonly rejected: ReadonlyArray<Claimed & { readonly reason: string }>
  /** Rows whose stored event no longer decodes, left for the caller to dead-letter. */
  readonly undecodable: ReadonlyArray<{ readonly row: InboxEntry; readonly error: string }>
  /** Sender accounts this batch flagged. */
  readonly flagged: ReadonlyArray<SenderAccount>
  /** Events from org-less routes that fell back to the default org (OrgMatching), among `completed`. */
  readonly unmatched: OrgMatches["unmatched"]
  /** Rows re-homed to another org, left unprocessed for their new bucket's owner. */
  readonly rehomed: number
}

/** The batch rolled back; `rows` are those it had claimed (none when it failed before claiming). */
export class BatchFailed extends Data.TaggedError("BatchFailed")<{
  readonly rows: ReadonlyArray<InboxEntry>
  readonly reason: string
}> {}

/** The failure and what caused it (an SqlError's own message names no PostgreSQL error). */
const describe = (error: unknown): string => {
  const chain = (e: unknown): ReadonlyArray<string> => e instanceof Error ? [e.message, ...chain(e.cause)] : e === undefined ? [] : [String(e)]
  return chain(error).join(": ").slice(0, 500)
}

/**
 * Applies a batch in ONE transaction: claims the inbox rows (their row locks are the lease), owns
 * their keys, loads the keys' state with one statement per table, runs the pure projection, writes
 * each table with one set statement and marks the rows done. Any failure rolls all of it back.
 */
export class ProjectionStore extends Effect.Service<ProjectionStore>()("Sendtrail/ProjectionStore", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const contacts = yield* ContactRepository
    const senders = yield* SenderAccountRepository
    const rollups = yield* RollupRepository
    const inbox = yield* InboxRepository
    const { softBounceEscalation, senderPolicy, defaultOrgId } = yield* AppConfig

    const applyClaimed = (rows: ReadonlyArray<InboxEntry>, now: DateTime.Utc) =>
      Effect.gen(function* () {
        const at = toDate(now)
        if (rows.length === 0) {
          return { completed: [], applied: [], rejected: [], undecodable: [], flagged: [], unmatched: [], rehomed: 0 } satisfies BatchResult
        }
        const decoded: Array<Claimed> = []
        const undecodable: Array<{ row: InboxEntry; error: string }> = []
        for (const row of rows) {
          const event = decodeStoredEvent(row.event)
          if (Either.isRight(event)) decoded.push({ row, event: event.right })
          else undecodable.push({ row, error: `stored event does not decode: ${event.left.message}` })
        }
        const { rehomed, unmatched } = yield* matchOrgs(sql, decoded, defaultOrgId)
        const entries = rehomed.size === 0 ? decoded : decoded.filter((e) => !rehomed.has(e.row.id))
        const events = entries.map((e) => e.event)
        yield* KeyOwnership.own(sql, events.map(contactKey))
        const state = yield* loadBatchState(sql, entries.map((e) => ({ inboxId: e.row.id, event: e.event })), at)
          .pipe(Effect.withSpan("ProjectionStore.load"))
        const changes = yield* Effect.sync(() => project(state, events, softBounceEscalation)).pipe(Effect.withSpan("ProjectionStore.project"))
        const addresses = new Map<string, Address>()
        for (const e of changes.effects) addresses.set(contactKey({ ...e, recipient: e.address }), e)
        const refused = new Set(changes.rejected.map((r) => r.index))
        const completed = entries.filter((_, i) => !refused.has(i))
        const flagged = yield* Effect.gen(function* () {
          const found = addresses.size === 0 ? new Map() : yield* contacts.ensureMany([...addresses.values()])
          yield* writeDeliveries(sql, changes.deliveries, at)
          const writes = resolve(changes.effects, found)
          yield* writeAddressEffects(sql, writes, at)
          yield* writeEngagements(sql, lastEngagements(changes.events.flatMap(({ deliveryId, event }) => {
            const delivery = state.deliveries.get(`#${deliveryId}`)
            return delivery === undefined ? [] : [{ delivery, event }]
          })))
          yield* rollups.incrementMany(changes.rollups)
          const counted = yield* senders.addCounts(changes.senders, now, senderPolicy)
          yield* writeTimelines(sql, changes.timelines)
          const flaggedNow = counted.filter((a) => a.flaggedNow)
          // Notifications of what this batch did, in this transaction (the outbox): one statement.
          // Only events of a notifying type count: a batch of sends and deliveries skips the endpoints lookup.
          const notifying = changes.events.filter((e) => typeOfEvent[e.event.type] !== undefined)
          yield* Outbox.enqueue(sql, [...notifying.map((e) => e.event.orgId), ...writes.suppressions.map((s) => s.orgId), ...flaggedNow.map((a) => a.orgId)],
            (wants) => [
              ...Outbox.fromEvents(changes.events, wants), ...Outbox.fromSuppressionWrites(writes.suppressions, at, wants),
              ...flaggedNow.map((account) => Outbox.fromSender(account, "sender.flagged", now))
            ])
          yield* inbox.complete(completed.map((e) => e.row.id), now)
          return flaggedNow
        }).pipe(Effect.withSpan("ProjectionStore.write"))
        return {
          completed, applied: changes.events.map((e) => e.event), undecodable, flagged, unmatched, rehomed: rehomed.size,
          rejected: changes.rejected.map((r) => ({ ...entries[r.index]!, reason: r.reason }))
        } satisfies BatchResult
      })

    const apply = (claim: Claim): Effect.Effect<BatchResult, BatchFailed> => {
      let claimed: ReadonlyArray<InboxEntry> = []
      return Effect.gen(function* () {
        const now = yield* DateTime.now
        // The rows are marked done in this same transaction: a crash loses both or neither, so the
        // commit need not wait for the disk.
        yield* sql`SET LOCAL synchronous_commit = off`
        claimed = yield* inbox.claim(claim, now)
        return yield* applyClaimed(claimed, now)
      }).pipe(
        sql.withTransaction,
        Effect.orDie,
        Effect.catchAllDefect((defect) => Effect.fail(new BatchFailed({ rows: claimed, reason: describe(defect) }))),
        Effect.withSpan("ProjectionStore.apply")
      )
    }

    return { apply } as const
  })
}) {}
