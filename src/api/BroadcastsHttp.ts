import { HttpApiBuilder } from "@effect/platform"
import { Api } from "./Api.js"

export const BroadcastsLive = HttpApiBuilder.group(Api, "broadcasts", (handlers) => handlers)
