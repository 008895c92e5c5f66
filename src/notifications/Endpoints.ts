import * as SqlClient from "@effect/sql/SqlClient"
import type { Statement } from "@effect/sql/Statement"
import { Data, Effect, Option, Schema } from "effect"
import { AppConfig } from "../AppConfig.js"
import { Category, Channel } from "../domain/Event.js"
import { column, NullableTimestamp, Timestamp } from "../storage/RowSchemas.js"
import { decodeFirst, decodeRows } from "../storage/Rows.js"
import { registrationProblem } from "./AddressGuard.js"
import { Format, NotificationType } from "./Formats.js"
import { newSecret } from "./Signing.js"

export class EndpointRefused extends Data.TaggedError("EndpointRefused")<{ readonly message: string }> {}

export const Filter = Schema.Struct({
  broadcastIds: Schema.NullOr(Schema.Array(Schema.String)),
  categories: Schema.NullOr(Schema.Array(Category)),
  channels: Schema.NullOr(Schema.Array(Channel))
})
export type Filter = typeof Filter.Type

/** An endpoint as the API shows it: never its secret. */
export const EndpointView = Schema.Struct({
  id: Schema.String,
  url: Schema.String,
  format: Format,
  events: Schema.Array(NotificationType),
  filter: Filter,
  description: Schema.String,
  enabled: Schema.Boolean,
  disabledAt: Schema.NullOr(Schema.DateTimeUtc),
  disabledReason: Schema.NullOr(Schema.String),
  failingSince: Schema.NullOr(Schema.DateTimeUtc).annotations({ description: "the first failed attempt since the last success; null while healthy" }),
  consecutiveFailures: Schema.Number,
  createdAt: Schema.DateTimeUtc,
  updatedAt: Schema.DateTimeUtc
})
export type EndpointView = typeof EndpointView.Type

const EndpointRow = Schema.Struct({
  id: Schema.String,
  orgId: column("org_id", Schema.String),
  url: Schema.String,
  format: Format,
  events: column("event_types", Schema.Array(NotificationType)),
  broadcastIds: column("broadcast_ids", Schema.NullOr(Schema.Array(Schema.String))),
  categories: Schema.NullOr(Schema.Array(Category)),
  channels: Schema.NullOr(Schema.Array(Channel)),
  description: Schema.String,
  enabled: Schema.Boolean,
  disabledAt: column("disabled_at", NullableTimestamp),
  disabledReason: column("disabled_reason", Schema.NullOr(Schema.String)),
  failingSince: column("failing_since", NullableTimestamp),
  consecutiveFailures: column("consecutive_failures", Schema.Number),
  createdAt: column("created_at", Timestamp),
  updatedAt: column("updated_at", Timestamp)
})
type EndpointRow = typeof EndpointRow.Type

const decodeEndpoints = decodeRows(EndpointRow)
const decodeEndpoint = decodeFirst(EndpointRow)
const decodeSecret = decodeFirst(Schema.Struct({ secret: Schema.String }))

export const view = ({ orgId: _, broadcastIds, categories, channels, ...row }: EndpointRow): EndpointView =>
  ({ ...row, filter: { broadcastIds, categories, channels } })

export interface EndpointInput {
  readonly url: string
  readonly format: Format
  readonly events: ReadonlyArray<NotificationType>
  readonly filter: Filter
  readonly description: string
}

export type EndpointChange = { readonly [K in keyof EndpointInput]?: EndpointInput[K] | undefined } & {
  readonly enabled?: boolean | undefined
}

export const newEndpointId = () => `ne_${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`

/** A text[] parameter (NULL stays NULL): sent as JSON, unpacked by PostgreSQL. */
export const textArray = (sql: SqlClient.SqlClient, values: ReadonlyArray<string> | null): Statement<unknown> =>
  values === null ? sql`NULL::text[]` : sql`ARRAY(SELECT json_array_elements_text(${JSON.stringify(values)}::json))`

/**
 * An org's notification endpoints. Every call is scoped by the org: another org's id is not found.
 * The secret is returned by `create` and `rotateSecret` only.
 */
export class Endpoints extends Effect.Service<Endpoints>()("Sendtrail/NotificationEndpoints", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const { notifications } = yield* AppConfig

    const checkUrl = (text: string) =>
      Effect.gen(function* () {
        const url = URL.canParse(text) ? new URL(text) : undefined
        if (url === undefined || !/^https?:$/.test(url.protocol)) {
          return yield* new EndpointRefused({ message: "url: expected an absolute http or https URL" })
        }
        if (url.username !== "" || url.password !== "") {
          return yield* new EndpointRefused({ message: "url: credentials in the URL are not accepted; the endpoint verifies the signature instead" })
        }
        const problem = registrationProblem(url, notifications.allowList)
        if (problem !== undefined) return yield* new EndpointRefused({ message: `url: ${problem}` })
        return url.toString()
      })

    const create = Effect.fn("Endpoints.create")(function* (orgId: string, input: EndpointInput) {
      const url = yield* checkUrl(input.url)
      const secret = newSecret()
      const rows = yield* sql`
        INSERT INTO notification_endpoints (id, org_id, url, format, event_types, broadcast_ids, categories, channels, description, secret)
        VALUES (${newEndpointId()}, ${orgId}, ${url}, ${input.format}, ${textArray(sql, input.events)},
          ${textArray(sql, input.filter.broadcastIds)}, ${textArray(sql, input.filter.categories)}, ${textArray(sql, input.filter.channels)},
          ${input.description}, ${secret})
        RETURNING *`.pipe(Effect.orDie)
      const row = yield* Effect.orDie(decodeEndpoint(rows))
      return { endpoint: view(Option.getOrThrow(row)), secret }
    })

    const find = Effect.fn("Endpoints.find")(function* (orgId: string, id: string) {
      return Option.map(yield* decodeEndpoint(yield* sql`SELECT * FROM notification_endpoints WHERE org_id = ${orgId} AND id = ${id}`), view)
    }, Effect.orDie)

    const list = Effect.fn("Endpoints.list")(function* (orgId: string) {
      return (yield* decodeEndpoints(yield* sql`SELECT * FROM notification_endpoints WHERE org_id = ${orgId} ORDER BY created_at, id`)).map(view)
    }, Effect.orDie)

    /** Re-enabling starts a new run: the failure count and its start are cleared. */
    const update = Effect.fn("Endpoints.update")(function* (orgId: string, id: string, change: EndpointChange) {
      const url = change.url === undefined ? undefined : yield* checkUrl(change.url)
      const set = [
        url === undefined ? [] : [sql`url = ${url}`],
        change.format === undefined ? [] : [sql`format = ${change.format}`],
        change.events === undefined ? [] : [sql`event_types = ${textArray(sql, change.events)}`],
        change.filter === undefined ? [] : [sql`broadcast_ids = ${textArray(sql, change.filter.broadcastIds)}`,
          sql`categories = ${textArray(sql, change.filter.categories)}`, sql`channels = ${textArray(sql, change.filter.channels)}`],
        change.description === undefined ? [] : [sql`description = ${change.description}`],
        change.enabled === undefined ? [] : change.enabled
          ? [sql`enabled = true`, sql`disabled_at = NULL`, sql`disabled_reason = NULL`, sql`disabled_by_failure = false`, sql`failing_since = NULL`, sql`consecutive_failures = 0`]
          : [sql`enabled = false`, sql`disabled_at = now()`, sql`disabled_reason = 'disabled by the org'`, sql`disabled_by_failure = false`]
      ].flat()
      const rows = yield* sql`
        UPDATE notification_endpoints SET ${sql.csv([...set, sql`updated_at = now()`])}
        WHERE org_id = ${orgId} AND id = ${id} RETURNING *`.pipe(Effect.orDie)
      return Option.map(yield* Effect.orDie(decodeEndpoint(rows)), view)
    })

    const remove = Effect.fn("Endpoints.remove")(function* (orgId: string, id: string) {
      const rows = yield* sql`DELETE FROM notification_endpoints WHERE org_id = ${orgId} AND id = ${id} RETURNING id`
      return rows.length > 0
    }, Effect.orDie)

    /** A new secret; the previous one keeps signing beside it for a day, so receivers can switch without a gap. */
    const rotateSecret = Effect.fn("Endpoints.rotateSecret")(function* (orgId: string, id: string) {
      const secret = newSecret()
      const rows = yield* sql`
        UPDATE notification_endpoints SET previous_secret = secret, previous_secret_expires_at = now() + interval '24 hours',
          secret = ${secret}, updated_at = now()
        WHERE org_id = ${orgId} AND id = ${id} RETURNING secret`
      return Option.map(yield* decodeSecret(rows), (row) => row.secret)
    }, Effect.orDie)

    return { create, find, list, update, remove, rotateSecret } as const
  })
}) {}
