import { HttpApiGroup } from "@effect/platform"
import { Forbidden, Unauthorized } from "./Errors.js"
import { OrgAuth } from "./OrgAuth.js"

/** Endpoints are added above `.middleware(OrgAuth)` (it covers only those added before it); handlers live in ReportsHttp.ts. */
export class ReportsApi extends HttpApiGroup.make("reports")
  .middleware(OrgAuth)
  .addError(Unauthorized)
  .addError(Forbidden) {}
