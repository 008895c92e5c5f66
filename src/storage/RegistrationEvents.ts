import * as SqlClient from "@effect/sql/SqlClient"
import { DateTime, Effect } from "effect"
import { registrationSent } from "../domain/Delivery.js"

/**
 * The `sent` entry of the rows a registration creates as sent, written in the registration's own
 * transaction beside the row's `sent_at`: the milestone and its entry in the chronology exist together.
 */
export class RegistrationEvents extends Effect.Service<RegistrationEvents>()("Sendtrail/RegistrationEvents", {
  effect: Effect.map(SqlClient.SqlClient, (sql) => {
    const recordSent = Effect.fn("RegistrationEvents.recordSent")(function* (
      rows: ReadonlyArray<{ readonly id: number; readonly orgId: string }>, at: DateTime.Utc
    ) {
      if (rows.length === 0) return
      yield* sql`
        INSERT INTO delivery_events (delivery_id, org_id, type, occurred_at, provider, provider_event_name, provider_event_id)
        SELECT u.id, u.org_id, 'sent', ${DateTime.toDate(at)}, ${registrationSent.provider}, ${registrationSent.name},
          ${registrationSent.idPrefix}::text || u.id
        FROM unnest(${rows.map((r) => r.id)}::bigint[], ${rows.map((r) => r.orgId)}::text[]) AS u(id, org_id)
        ON CONFLICT (provider, provider_event_id) DO NOTHING`
    }, Effect.orDie)

    return { recordSent } as const
  })
}) {}
