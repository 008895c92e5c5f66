import { HttpApiBuilder } from "@effect/platform"
import { Api } from "./Api.js"

export const ReportsLive = HttpApiBuilder.group(Api, "reports", (handlers) => handlers)
