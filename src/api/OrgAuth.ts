import * as HttpApiMiddleware from "@effect/platform/HttpApiMiddleware"
import * as HttpApiSecurity from "@effect/platform/HttpApiSecurity"
import { Context, Schema } from "effect"
import { Forbidden, Unauthorized } from "./Errors.js"

/** The organisation an API request acts for, established by `OrgAuth`. */
export class CurrentOrg extends Context.Tag("Sendtrail/CurrentOrg")<CurrentOrg, {
  readonly orgId: string
  readonly subject: string | undefined
}>() {}

/** `Authorization: Bearer <JWT>` whose `org` claim equals the `orgid` header; `exp` enforced. */
export class OrgAuth extends HttpApiMiddleware.Tag<OrgAuth>()("Sendtrail/OrgAuth", {
  failure: Schema.Union(Unauthorized, Forbidden),
  provides: CurrentOrg,
  security: { bearer: HttpApiSecurity.bearer }
}) {}
