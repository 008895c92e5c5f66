import { HttpApiBuilder } from "@effect/platform"
import { Api } from "./Api.js"

export const TrackingLive = HttpApiBuilder.group(Api, "tracking", (handlers) => handlers)
