import { HttpApiGroup } from "@effect/platform"
import { Forbidden, Unauthorized } from "./Errors.js"
import { OrgAuth } from "./OrgAuth.js"

/** Endpoints are added above `.middleware(OrgAuth)` (it covers only those added before it); handlers live in BroadcastsHttp.ts. */
export class BroadcastsApi extends HttpApiGroup.make("broadcasts")
  .middleware(OrgAuth)
  .addError(Unauthorized)
  .addError(Forbidden) {}
