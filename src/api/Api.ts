import * as HttpApi from "@effect/platform/HttpApi"
import * as OpenApi from "@effect/platform/OpenApi"
import packageJson from "../../package.json" with { type: "json" }
import { AdminApi } from "./Admin.js"
import { BroadcastsApi } from "./Broadcasts.js"
import { ContactsApi } from "./Contacts.js"
import { SuppressionsApi } from "./Suppressions.js"
import { TrackingApi } from "./Tracking.js"
import { TrackingOrgApi } from "./TrackingOrg.js"
import { HealthApi } from "./Health.js"
import { InsightsApi } from "./Insights.js"
import { EventsApi } from "./Events.js"
import { MetricsApi } from "./Metrics.js"
import { commaSeparatedLists } from "./Params.js"
import { ReportsApi } from "./Reports.js"
import { WebhooksApi } from "./Webhooks.js"

/** The root API: one group per area, each defined apart from its handlers (`<Area>Http.ts`). */
export class Api extends HttpApi.make("sendtrail")
  .add(HealthApi)
  .add(WebhooksApi)
  .add(AdminApi)
  .add(TrackingApi)
  .add(TrackingOrgApi)
  .add(BroadcastsApi)
  .add(ContactsApi)
  .add(SuppressionsApi)
  .add(ReportsApi)
  .add(InsightsApi)
  .add(MetricsApi)
  .add(EventsApi)
  .annotate(OpenApi.Title, "Sendtrail")
  .annotate(OpenApi.Version, packageJson.version)
  .annotate(OpenApi.Description, "Delivery tracking: provider webhooks in, one true delivery row per recipient out.")
  .annotate(OpenApi.Transform, commaSeparatedLists) {}
