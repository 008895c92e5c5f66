import { HttpApiBuilder } from "@effect/platform"
import { Api } from "./Api.js"

export const SuppressionsLive = HttpApiBuilder.group(Api, "suppressions", (handlers) => handlers)
