import * as SqlClient from "@effect/sql/SqlClient"
import { PgClient } from "@effect/sql-pg"
import { Duration, Effect, Option, Schedule, Stream } from "effect"
import type { Connection } from "../domain/Records.js"
import { ConnectionRow } from "./RowSchemas.js"
import { decodeFirst, decodeRows, toDate } from "./Rows.js"

const decodeConnections = decodeRows(ConnectionRow)
const decodeConnection = decodeFirst(ConnectionRow)

export type { Connection }

export const newConnectionId = () => `conn_${crypto.randomUUID().replaceAll("-", "")}`

export class ConnectionRepository extends Effect.Service<ConnectionRepository>()("Sendtrail/ConnectionRepository", {
  scoped: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const create = Effect.fn("ConnectionRepository.create")(function* (connection: Connection) {
      yield* sql`
        INSERT INTO provider_connections (id, org_id, vendor, secrets, created_at)
        VALUES (${connection.id}, ${connection.orgId}, ${connection.vendor}, ${JSON.stringify(connection.secrets)}::jsonb,
          ${toDate(connection.createdAt)})`
    }, Effect.orDie)

    const lookup = (id: string) =>
      Effect.orDie(Effect.flatMap(sql`SELECT * FROM provider_connections WHERE id = ${id}`, decodeConnection))

    // Connection webhooks look their connection up on every request: found ones are kept while this
    // instance hears every change (migration 0005 announces them). A miss is never kept: a new
    // connection works at once.
    const kept = new Map<string, Connection>()
    let changes = 0
    // Our own notification, sent every 2 s, coming back says the LISTEN is in place and its connection
    // alive (the client drops a broken listening connection silently): kept rows serve only meanwhile.
    let heardAt = 0
    const listening = () => Date.now() - heardAt < 5_000
    const pg = yield* Effect.serviceOption(PgClient.PgClient)
    if (Option.isSome(pg)) {
      const channel = "provider_connections"
      const sentinel = `listening:${crypto.randomUUID()}`
      const heard = (payload: string) => Effect.sync(() => {
        if (payload === sentinel) heardAt = Date.now()
        else if (!payload.startsWith("listening:")) {
          changes++
          if (payload === "*") kept.clear()
          else kept.delete(payload)
        }
      })
      // (pg_notify: the client's own `notify` sends NOTIFY with a bind parameter, which PostgreSQL refuses.)
      const announce = Effect.asVoid(sql`SELECT pg_notify(${channel}, ${sentinel})`)
      const session = Effect.scoped(Effect.gen(function* () {
        const since = Date.now()
        yield* Effect.forkScoped(Stream.runForEach(pg.value.listen(channel), heard))
        yield* Effect.repeat(Effect.zipRight(announce, Effect.suspend(() =>
          Date.now() - Math.max(heardAt, since) > 10_000 ? Effect.fail("no notification heard for 10 s") : Effect.void
        )), Schedule.spaced(Duration.seconds(2)))
      })).pipe(
        Effect.ensuring(Effect.sync(() => {
          heardAt = 0
          kept.clear()
        })),
        Effect.catchAllCause((cause) => Effect.logWarning("connection changes: not listening, retrying in 5 s", cause)),
        Effect.zipRight(Effect.sleep(Duration.seconds(5)))
      )
      yield* Effect.forkScoped(Effect.forever(session))
    }

    const findById = (id: string): Effect.Effect<Option.Option<Connection>> => {
      const hit = listening() ? kept.get(id) : undefined
      if (hit !== undefined) return Effect.succeed(Option.some(hit))
      const before = changes
      return Effect.tap(lookup(id), (found) => {
        // A change heard while the row was read may be older than what was read: keep nothing then.
        if (listening() && changes === before && Option.isSome(found)) kept.set(id, found.value)
      })
    }

    /** Oldest first; every org's when none is given. */
    const list = Effect.fn("ConnectionRepository.list")(function* (orgId: string | undefined) {
      return yield* decodeConnections(yield* sql`
        SELECT * FROM provider_connections ${orgId === undefined ? sql`` : sql`WHERE org_id = ${orgId}`}
        ORDER BY created_at, id`)
    }, Effect.orDie)

    return { create, findById, list } as const
  })
}) {}
