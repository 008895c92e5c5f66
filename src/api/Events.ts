import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
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
