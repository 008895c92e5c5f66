import { HttpApiBuilder } from "@effect/platform"
import { Api } from "./Api.js"

export const InsightsLive = HttpApiBuilder.group(Api, "insights", (handlers) => handlers)
