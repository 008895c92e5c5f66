import { DateTime, Effect, Layer, Ref } from "effect"
import type { InboxEntry } from "../../domain/Ingest.js"
import { InboxRepository, inboxKey } from "../InboxRepository.js"

interface Row {
  readonly id: number
  readonly key: string
  readonly event: unknown
  readonly receivedAt: Date
  readonly processedAt: Date | null
  readonly availableAt: Date
  readonly attempts: number
  readonly lastError: string | null
}

export const layer = Layer.effect(
  InboxRepository,
  Effect.gen(function* () {
    const state = yield* Ref.make<{ readonly rows: ReadonlyMap<number, Row>; readonly nextId: number }>({ rows: new Map(), nextId: 1 })
    const edit = (f: (rows: Map<number, Row>) => void) =>
      Ref.update(state, (s) => {
        const rows = new Map(s.rows)
        f(rows)
        return { ...s, rows }
      })

    return InboxRepository.make({
      append: (events, at) =>
        Ref.modify(state, (s) => {
          const rows = new Map(s.rows)
          const existing = new Set([...rows.values()].map((r) => r.key))
          const inserted = new Set<string>()
          let nextId = s.nextId
          for (const e of events) {
            const key = inboxKey(e.provider, e.providerEventId)
            if (existing.has(key) || inserted.has(key)) continue
            inserted.add(key)
            const receivedAt = DateTime.toDate(at)
            rows.set(nextId, { id: nextId, key, event: e.event, receivedAt, processedAt: null, availableAt: receivedAt, attempts: 0, lastError: null })
            nextId++
          }
          return [inserted, { rows, nextId }]
        }),
      claim: (limit, at, leaseUntil) =>
        Ref.modify(state, (s) => {
          const now = DateTime.toDate(at)
          const claimed = [...s.rows.values()]
            .filter((r) => r.processedAt === null && r.availableAt <= now)
            .sort((a, b) => a.id - b.id)
            .slice(0, limit)
          const rows = new Map(s.rows)
          for (const r of claimed) rows.set(r.id, { ...r, availableAt: DateTime.toDate(leaseUntil) })
          const entries = claimed.map((r): InboxEntry => ({ id: r.id, event: r.event, attempts: r.attempts, receivedAt: r.receivedAt }))
          return [entries, { ...s, rows }]
        }),
      complete: (ids, at) =>
        edit((rows) => {
          for (const id of ids) {
            const row = rows.get(id)
            if (row !== undefined && row.processedAt === null) rows.set(id, { ...row, processedAt: DateTime.toDate(at) })
          }
        }),
      fail: (id, error, retryAt) =>
        Ref.modify(state, (s) => {
          const row = s.rows.get(id)
          if (row === undefined) return [0, s]
          const updated = { ...row, attempts: row.attempts + 1, lastError: error, availableAt: DateTime.toDate(retryAt) }
          return [updated.attempts, { ...s, rows: new Map(s.rows).set(id, updated) }]
        }),
      releaseLeases: (at) =>
        edit((rows) => {
          const now = DateTime.toDate(at)
          for (const row of rows.values()) {
            if (row.processedAt === null && row.availableAt > now) rows.set(row.id, { ...row, availableAt: now })
          }
        }),
      requeue: (id, at) =>
        Ref.modify(state, (s) => {
          const row = s.rows.get(id)
          if (row === undefined) return [false, s]
          const now = DateTime.toDate(at)
          const updated = { ...row, processedAt: null, attempts: 0, lastError: null, availableAt: now }
          return [true, { ...s, rows: new Map(s.rows).set(id, updated) }]
        }),
      backlog: () =>
        Effect.map(Ref.get(state), (s) => {
          const pending = [...s.rows.values()].filter((r) => r.processedAt === null)
          const oldest = pending.reduce<Date | null>((min, r) => (min === null || r.receivedAt < min ? r.receivedAt : min), null)
          return { pending: pending.length, oldest }
        })
    })
  })
)
