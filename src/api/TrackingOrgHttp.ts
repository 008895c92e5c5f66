import { HttpApiBuilder } from "@effect/platform"
import { Api } from "./Api.js"

export const TrackingOrgLive = HttpApiBuilder.group(Api, "trackingOrg", (handlers) => handlers)
