import * as SqlClient from "@effect/sql/SqlClient"
import type { DateTime } from "effect"
import { Effect, Option } from "effect"
import { first, toDate, toDateTime } from "./Rows.js"

/** An organisation's account at a provider: which org its webhooks belong to and the secrets that verify them. */
export interface Connection {
  readonly id: string
  readonly orgId: string
  readonly vendor: string
  readonly secrets: Readonly<Record<string, unknown>>
  readonly createdAt: DateTime.Utc
}

interface ConnectionRow {
  readonly id: string
  readonly org_id: string
  readonly vendor: string
  readonly secrets: Record<string, unknown>
  readonly created_at: Date
}

const fromRow = (row: ConnectionRow): Connection => ({
  id: row.id,
  orgId: row.org_id,
  vendor: row.vendor,
  secrets: row.secrets,
  createdAt: toDateTime(row.created_at)
})

export const newConnectionId = () => `conn_${crypto.randomUUID().replaceAll("-", "")}`

export class ConnectionRepository extends Effect.Service<ConnectionRepository>()("Sendtrail/ConnectionRepository", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const create = Effect.fn("ConnectionRepository.create")(function* (connection: Connection) {
      yield* sql`
        INSERT INTO provider_connections (id, org_id, vendor, secrets, created_at)
        VALUES (${connection.id}, ${connection.orgId}, ${connection.vendor}, ${JSON.stringify(connection.secrets)}::jsonb,
          ${toDate(connection.createdAt)})`
    }, Effect.orDie)

    const findById = Effect.fn("ConnectionRepository.findById")(function* (id: string) {
      return Option.map(first(yield* sql<ConnectionRow>`SELECT * FROM provider_connections WHERE id = ${id}`), fromRow)
    }, Effect.orDie)

    /** Oldest first; every org's when none is given. */
    const list = Effect.fn("ConnectionRepository.list")(function* (orgId: string | undefined) {
      const rows = yield* sql<ConnectionRow>`
        SELECT * FROM provider_connections ${orgId === undefined ? sql`` : sql`WHERE org_id = ${orgId}`}
        ORDER BY created_at, id`
      return rows.map(fromRow)
    }, Effect.orDie)

    return { create, findById, list } as const
  })
}) {}
