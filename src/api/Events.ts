import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as OpenApi from "@effect/platform/OpenApi"
import { Forbidden, Unauthorized } from "./Errors.js"
import { OrgAuth } from "./OrgAuth.js"

/** The org's normalized events as they are applied, as Server-Sent Events. */
export class EventsApi extends HttpApiGroup.make("events")
  .add(
    HttpApiEndpoint.get("eventStream", "/events/stream")
      .addSuccess(HttpApiSchema.Text({ contentType: "text/event-stream" }))
      .annotate(OpenApi.Summary, "Server-Sent Events: each event applied for the org, as JSON in `data:`; a comment every 15 s; a client that falls 1,000 events behind is disconnected")
  )
  .middleware(OrgAuth)
  .addError(Unauthorized)
  .addError(Forbidden) {}
