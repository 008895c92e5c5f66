import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { SenderAccount } from "../domain/Records.js"
import { BadRequest, Forbidden, Unauthorized } from "./Errors.js"
import { OrgAuth } from "./OrgAuth.js"
import { Flag } from "./Params.js"

export const SenderAccountView = Schema.Struct({
  ...SenderAccount.fields,
  bounceRate: SenderAccount.fields.bounceRate.annotations({ description: "bounced / sent, over the account's lifetime" }),
  complaintRate: SenderAccount.fields.complaintRate.annotations({ description: "complained / sent, over the account's lifetime" }),
  flaggedAt: SenderAccount.fields.flaggedAt.annotations({ description: "flagged since then; null when not flagged" }),
  flaggedReason: SenderAccount.fields.flaggedReason.annotations({ description: "the breach that flagged it" })
})

/** The org's own sender accounts, so sending code can rotate away from a flagged one. Handlers live in SenderAccountsHttp.ts. */
export class SenderAccountsApi extends HttpApiGroup.make("senderAccounts")
  .add(
    HttpApiEndpoint.get("list", "/sender-accounts")
      .setUrlParams(Schema.Struct({
        flagged: Schema.optional(Flag.annotations({ description: "true: only flagged accounts; false: only the others; absent: all" }))
      }))
      .addSuccess(Schema.Struct({ items: Schema.Array(SenderAccountView) }))
      .addError(BadRequest)
      .annotate(OpenApi.Summary, "The org's sender accounts with their counts, rates and flags, by id")
  )
  .middleware(OrgAuth)
  .addError(Unauthorized)
  .addError(Forbidden) {}
