import * as HttpApi from "@effect/platform/HttpApi"
import * as OpenApi from "@effect/platform/OpenApi"
import type { Context } from "effect"
import packageJson from "../../package.json" with { type: "json" }
import { AdminApi } from "./Admin.js"
import { AuditApi } from "./Audit.js"
import { BroadcastListsApi } from "./BroadcastLists.js"
import { BroadcastsApi } from "./Broadcasts.js"
import { ContactsApi } from "./Contacts.js"
import { SenderAccountsApi } from "./SenderAccounts.js"
import { SuppressionsApi } from "./Suppressions.js"
import { TelegramBotsApi } from "./TelegramBots.js"
import { TrackingApi } from "./Tracking.js"
import { TrackingOrgApi } from "./TrackingOrg.js"
import { HealthApi } from "./Health.js"
import { InsightsApi } from "./Insights.js"
import { EventsApi } from "./Events.js"
import { MetricsApi } from "./Metrics.js"
import { NotificationsApi } from "./Notifications.js"
import { documentOrgHeader } from "./OrgAuth.js"
import { commaSeparatedLists } from "./Params.js"
import { ReportsApi } from "./Reports.js"
import { WebhooksApi } from "./Webhooks.js"

const webhooks = OpenApi.fromApi(HttpApi.make("webhooks").add(WebhooksApi))

/** The webhook routes are served raw (api/WebhooksHttp.ts) and described here, beside the rest. */
const withWebhooks: Context.Tag.Service<typeof OpenApi.Transform> = (spec) => ({
  ...spec,
  tags: [...spec.tags, ...webhooks.tags],
  paths: { ...spec.paths, ...webhooks.paths },
  components: { ...spec.components, schemas: { ...spec.components.schemas, ...webhooks.components.schemas } }
})

/** The root API: one group per area, each defined apart from its handlers (`<Area>Http.ts`); webhooks apart (below). */
export class Api extends HttpApi.make("sendtrail")
  .add(HealthApi)
  .add(AdminApi)
  .add(TrackingApi)
  .add(TrackingOrgApi)
  .add(BroadcastsApi)
  .add(BroadcastListsApi)
  .add(ContactsApi)
  .add(SuppressionsApi)
  .add(SenderAccountsApi)
  .add(TelegramBotsApi)
  .add(AuditApi)
  .add(ReportsApi)
  .add(InsightsApi)
  .add(MetricsApi)
  .add(EventsApi)
  .add(NotificationsApi)
  .annotate(OpenApi.Title, "Sendtrail")
  .annotate(OpenApi.Version, packageJson.version)
  .annotate(OpenApi.Description, "Delivery tracking: provider webhooks in, one true delivery row per recipient out.")
  .annotate(OpenApi.Transform, (spec) => documentOrgHeader(commaSeparatedLists(withWebhooks(spec)))) {}
