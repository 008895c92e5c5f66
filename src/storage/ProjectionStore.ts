import * as SqlClient from "@effect/sql/SqlClient"
import { DateTime, Effect } from "effect"
import { AppConfig } from "../AppConfig.js"
import { resolve } from "../domain/AddressEffects.js"
import type { NormalizedEvent } from "../domain/Event.js"
import type { Address } from "../domain/Projection.js"
import { contactKey, project } from "../domain/Projection.js"
import type { SenderAccount } from "../domain/Records.js"
import { ContactRepository } from "./ContactRepository.js"
import { InboxRepository } from "./InboxRepository.js"
import * as KeyOwnership from "./KeyOwnership.js"
import { loadBatchState } from "./ProjectionLoad.js"
import { writeAddressEffects, writeDeliveries, writeEvents, writeTimelines } from "./ProjectionWrites.js"
import { RollupRepository } from "./RollupRepository.js"
import { SenderAccountRepository } from "./SenderAccountRepository.js"
import { toDate } from "./Rows.js"

export interface BatchEntry {
  readonly inboxId: number
  readonly event: NormalizedEvent
}

export interface BatchResult {
  /** Events recorded for the first time, in inbox order. */
  readonly applied: ReadonlyArray<NormalizedEvent>
  /** Entries the projection refused, left unfinished in the inbox for the caller to retry or dead-letter. */
  readonly rejected: ReadonlyArray<{ readonly entry: BatchEntry; readonly reason: string }>
  /** Sender accounts this batch flagged. */
  readonly flagged: ReadonlyArray<SenderAccount>
}

/**
 * Applies a batch in ONE transaction: owns its keys, loads their state with one statement per table,
 * runs the pure projection, writes each table with one set statement and marks the inbox rows done.
 * Any failure rolls all of it back (a defect: the caller splits the batch to find the culprit).
 */
export class ProjectionStore extends Effect.Service<ProjectionStore>()("Sendtrail/ProjectionStore", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const contacts = yield* ContactRepository
    const senders = yield* SenderAccountRepository
    const rollups = yield* RollupRepository
    const inbox = yield* InboxRepository
    const { softBounceEscalation, senderPolicy } = yield* AppConfig

    const apply = (entries: ReadonlyArray<BatchEntry>): Effect.Effect<BatchResult> =>
      Effect.gen(function* () {
        const now = yield* DateTime.now
        const at = toDate(now)
        const events = entries.map((e) => e.event)
        // The inbox rows are marked done in this same transaction: a crash loses both or neither.
        yield* sql`SET LOCAL synchronous_commit = off`
        yield* KeyOwnership.own(sql, events.map(contactKey))
        const changes = project(yield* loadBatchState(sql, events, at), events, softBounceEscalation)
        const addresses = new Map<string, Address>()
        for (const e of changes.effects) addresses.set(contactKey({ ...e, recipient: e.address }), e)
        const found = addresses.size === 0 ? new Map() : yield* contacts.ensureMany([...addresses.values()])
        yield* writeDeliveries(sql, changes.deliveries, at)
        yield* writeEvents(sql, changes.events)
        yield* writeAddressEffects(sql, resolve(changes.effects, found), at)
        yield* rollups.incrementMany(changes.rollups)
        const counted = yield* senders.addCounts(changes.senders, now, senderPolicy)
        yield* writeTimelines(sql, changes.timelines)
        const rejected = new Set(changes.rejected.map((r) => r.index))
        yield* inbox.complete(entries.filter((_, i) => !rejected.has(i)).map((e) => e.inboxId), now)
        return {
          applied: changes.events.map((e) => e.event),
          rejected: changes.rejected.map((r) => ({ entry: entries[r.index]!, reason: r.reason })),
          flagged: counted.filter((a) => a.flaggedAt !== null && DateTime.Equivalence(a.flaggedAt, now))
        }
      }).pipe(sql.withTransaction, Effect.orDie)

    return { apply } as const
  })
}) {}
