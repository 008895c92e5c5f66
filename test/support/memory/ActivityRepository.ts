import { DateTime, Effect, Layer, Ref } from "effect"
import type { Activity, AuditEntry } from "../../../src/domain/Records.js"
import { ActivityRepository } from "../../../src/storage/ActivityRepository.js"

interface Tables {
  readonly activities: ReadonlyMap<string, Activity>
  readonly audit: ReadonlyArray<AuditEntry>
  readonly nextId: number
}

const newestFirst = <A extends { readonly id: number }>(at: (a: A) => DateTime.Utc) => (a: A, b: A) =>
  DateTime.Order(at(b), at(a)) || b.id - a.id

/** The same interface over maps, for unit tests of the layers above; the contract suite keeps it true. */
export const layer = Layer.effect(
  ActivityRepository,
  Effect.gen(function* () {
    const tables = yield* Ref.make<Tables>({ activities: new Map(), audit: [], nextId: 1 })

    return ActivityRepository.make({
      record: ({ sourceKey, ...input }) =>
        Ref.modify(tables, (t) => {
          const key = JSON.stringify([input.orgId, sourceKey, input.kind])
          if (t.activities.has(key)) return [false, t]
          const activity: Activity = { id: t.nextId, ...input }
          return [true, { ...t, activities: new Map(t.activities).set(key, activity), nextId: t.nextId + 1 }]
        }),
      forContact: (contactId, limit) =>
        Effect.map(Ref.get(tables), (t) =>
          [...t.activities.values()]
            .filter((a) => a.contactId === contactId)
            .sort(newestFirst((a) => a.occurredAt))
            .slice(0, limit)),
      audit: (input) =>
        Effect.flatMap(DateTime.now, (now) =>
          Ref.update(tables, (t) => {
            const seen = input.sourceKey !== null && t.audit.some((e) =>
              e.orgId === input.orgId && e.sourceKey === input.sourceKey && e.action === input.action)
            return seen ? t : { ...t, audit: [...t.audit, { id: t.nextId, ...input, createdAt: now }], nextId: t.nextId + 1 }
          })),
      auditLog: (orgId, limit) =>
        Effect.map(Ref.get(tables), (t) =>
          t.audit.filter((e) => e.orgId === orgId).sort(newestFirst((e) => e.createdAt)).slice(0, limit))
    })
  })
)
