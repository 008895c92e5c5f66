import * as HttpApiMiddleware from "@effect/platform/HttpApiMiddleware"
import * as HttpApiSecurity from "@effect/platform/HttpApiSecurity"
import { Context, Predicate, Schema } from "effect"
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

const orgHeader = {
  name: "orgid", in: "header", required: true, schema: { type: "string" },
  description: "the organisation acted for: must equal the bearer token's `org` claim"
}

/** Every route behind `OrgAuth` takes the `orgid` header beside the bearer token: the OpenAPI document says so. */
export const documentOrgHeader = (spec: Record<string, unknown>) => {
  const entries = (value: unknown) => (Predicate.isRecord(value) ? Object.values(value) : [])
  for (const operation of entries(spec.paths).flatMap(entries)) {
    if (!Predicate.isRecord(operation) || !Array.isArray(operation.security)) continue
    if (operation.security.some((scheme) => Predicate.isRecord(scheme) && "bearer" in scheme)) {
      operation.parameters = [...(Array.isArray(operation.parameters) ? operation.parameters : []), orgHeader]
    }
  }
  return spec
}
