import { HttpApiGroup } from "@effect/platform"
import { Forbidden, Unauthorized } from "./Errors.js"
import { OrgAuth } from "./OrgAuth.js"

/** Endpoints are added above `.middleware(OrgAuth)` (it covers only those added before it); handlers live in InsightsHttp.ts. */
export class InsightsApi extends HttpApiGroup.make("insights")
  .middleware(OrgAuth)
  .addError(Unauthorized)
  .addError(Forbidden) {}
