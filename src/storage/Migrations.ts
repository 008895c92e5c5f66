import * as Migrator from "@effect/sql/Migrator"
import { Effect, Layer } from "effect"
import schema from "./migrations/0001_schema.js"
import hostileInput from "./migrations/0002_hostile_input.js"
import setApply from "./migrations/0003_set_apply.js"
import hotUpdates from "./migrations/0004_hot_updates.js"
import connectionChanges from "./migrations/0005_connection_changes.js"
import listingIndexes from "./migrations/0006_listing_indexes.js"
import costs from "./migrations/0007_costs.js"
import contactsReachable from "./migrations/0008_contacts_reachable.js"
import streams from "./migrations/0009_streams.js"
import sunset from "./migrations/0010_sunset.js"
import orgMatch from "./migrations/0011_org_match.js"
import notifications from "./migrations/0012_notifications.js"
import telegramInApp from "./migrations/0013_telegram_in_app.js"
import sunsetSchedules from "./migrations/0014_sunset_schedules.js"
import endpointAlerts from "./migrations/0015_endpoint_alerts.js"
import attemptsByMessage from "./migrations/0016_attempts_by_message.js"

/** Static imports so a bundled or compiled service carries its migrations with it. */
export const run = Migrator.make({})({
  loader: Migrator.fromRecord({ "0001_schema": schema, "0002_hostile_input": hostileInput, "0003_set_apply": setApply, "0004_hot_updates": hotUpdates,
    "0005_connection_changes": connectionChanges, "0006_listing_indexes": listingIndexes, "0007_costs": costs,
    "0008_contacts_reachable": contactsReachable, "0009_streams": streams, "0010_sunset": sunset,
    "0011_org_match": orgMatch, "0012_notifications": notifications, "0013_telegram_in_app": telegramInApp, "0014_sunset_schedules": sunsetSchedules,
    "0015_endpoint_alerts": endpointAlerts, "0016_attempts_by_message": attemptsByMessage }),
  table: "sendtrail_migrations"
})

export const layer = Layer.effectDiscard(
  Effect.tap(run, (applied) =>
    applied.length === 0 ? Effect.void : Effect.logInfo("migrations applied", applied.map(([id, name]) => `${id}_${name}`))
  )
)
