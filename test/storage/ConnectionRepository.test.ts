import { expect, layer } from "@effect/vitest"
import * as SqlClient from "@effect/sql/SqlClient"
import { DateTime, Effect, Layer, Option } from "effect"
import { ConnectionRepository, newConnectionId } from "../../src/storage/ConnectionRepository.js"
import { sqlBackends } from "../support/databases.js"
import { makeSpanTally, withSpanTally } from "../support/spanTally.js"

const at = DateTime.unsafeMake("2026-04-04T09:00:00Z")

const backends = [
  ...sqlBackends.map((b) => ({ name: b.name, layer: ConnectionRepository.Default.pipe(Layer.provideMerge(b.layer)) }))
]

for (const backend of backends) {
  layer(backend.layer, { excludeTestServices: true })(`ConnectionRepository (${backend.name})`, (it) => {
    it.effect("a connection is stored with its org, vendor and secrets, and listed per org oldest first", () =>
      Effect.gen(function* () {
        const repo = yield* ConnectionRepository
        const first = { id: newConnectionId(), orgId: "org-conn", vendor: "sendgrid", secrets: { publicKey: "MFkw…" }, createdAt: at }
        const second = { id: newConnectionId(), orgId: "org-conn", vendor: "mailgun", secrets: { signingKey: "key-1" }, createdAt: DateTime.add(at, { seconds: 1 }) }
        yield* repo.create(second)
        yield* repo.create(first)
        yield* repo.create({ ...first, id: newConnectionId(), orgId: "org-conn-other" })
        expect(Option.getOrThrow(yield* repo.findById(first.id))).toEqual(first)
        expect(yield* repo.findById("conn_missing")).toEqual(Option.none())
        expect((yield* repo.list("org-conn")).map((c) => c.id)).toEqual([first.id, second.id])
        expect((yield* repo.list(undefined)).length).toBeGreaterThanOrEqual(3)
      }))

    it.effect("a connection found is kept; a change or deletion by any writer is seen by a lookup right after", () =>
      Effect.gen(function* () {
        const repo = yield* ConnectionRepository
        const sql = yield* SqlClient.SqlClient
        const connection = { id: newConnectionId(), orgId: "org-kept", vendor: "generic", secrets: { secret: "one" }, createdAt: at }
        const statements = (effect: Effect.Effect<unknown>) =>
          Effect.gen(function* () {
            const tally = makeSpanTally()
            yield* withSpanTally(tally)(effect)
            return tally.count.get("sql.execute") ?? 0
          })
        // Nothing is kept for a miss: the connection created after it is found at once.
        expect(yield* repo.findById(connection.id)).toEqual(Option.none())
        yield* repo.create(connection)
        // Kept once this instance hears the table's changes (a moment after start): then no statement.
        let queried = 1
        for (let i = 0; i < 50 && queried > 0; i++) {
          queried = yield* statements(repo.findById(connection.id))
          if (queried > 0) yield* Effect.sleep("50 millis")
        }
        expect(queried).toBe(0)
        const changedBy = (statement: Effect.Effect<unknown, unknown>, expected: Option.Option<unknown>) =>
          Effect.gen(function* () {
            yield* Effect.orDie(statement)
            // The notification travels after the commit: the next lookups see the change within moments.
            let found = yield* repo.findById(connection.id)
            for (let i = 0; i < 50 && JSON.stringify(found) !== JSON.stringify(expected); i++) {
              yield* Effect.sleep("20 millis")
              found = yield* repo.findById(connection.id)
            }
            expect(found).toEqual(expected)
          })
        yield* changedBy(sql`UPDATE provider_connections SET secrets = '{"secret":"two"}' WHERE id = ${connection.id}`,
          Option.some({ ...connection, secrets: { secret: "two" } }))
        yield* changedBy(sql`DELETE FROM provider_connections WHERE id = ${connection.id}`, Option.none())
      }))
  })
}
