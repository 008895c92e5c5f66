import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { AuditEntry } from "../domain/Records.js"
import { auditCursor } from "../reports/AuditLog.js"
import { BadRequest, Forbidden, Unauthorized } from "./Errors.js"
import { OrgAuth } from "./OrgAuth.js"
import { Instant, PageSize } from "./Params.js"

/** What the audit writes as a subject: `<channel>:<address>`, or a word such as `contacts`; never blank or spaced. */
const Subject = Schema.String.pipe(Schema.maxLength(1000), Schema.pattern(/^\S+$/)).annotations({
  message: () => ({ message: "expected a subject such as email:ada@example.com (no spaces)", override: true }),
  description: "exact; `<channel>:<address>` (an email address in any case) or `contacts`"
})

/** Dotted lower-case words, as every action is named. */
const Action = Schema.String.pipe(Schema.maxLength(200), Schema.pattern(/^[a-z_]+(\.[a-z_]+)*$/)).annotations({
  message: () => ({ message: "expected an action such as suppression.added", override: true }),
  description: "exact: suppression.added, suppression.lifted, contacts.imported, contact.unsubscribed, …"
})

export const AuditParams = Schema.Struct({
  subject: Schema.optional(Subject),
  action: Schema.optional(Action),
  from: Schema.optional(Instant.annotations({ description: "ISO 8601; entries at or after it" })),
  to: Schema.optional(Instant.annotations({ description: "ISO 8601; entries before it" })),
  limit: PageSize.annotations({ description: "entries per page" }),
  cursor: Schema.optional(auditCursor.Param)
})

export const AuditItem = AuditEntry.omit("orgId", "sourceKey")

export const AuditPage = Schema.Struct({
  items: Schema.Array(AuditItem),
  nextCursor: Schema.NullOr(Schema.String).annotations({ description: "pass as cursor for the next page; null on the last" })
})

/** The org's audit log, read back. Handlers live in AuditHttp.ts. */
export class AuditApi extends HttpApiGroup.make("audit")
  .add(
    HttpApiEndpoint.get("list", "/audit")
      .setUrlParams(AuditParams)
      .addSuccess(AuditPage)
      .addError(BadRequest)
      .annotate(OpenApi.Summary, "The org's audit log, newest first, by subject, action and time, keyset-paged")
  )
  .middleware(OrgAuth)
  .addError(Unauthorized)
  .addError(Forbidden) {}
