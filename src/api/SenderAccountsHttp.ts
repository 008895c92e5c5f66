import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { Effect } from "effect"
import { SenderAccountRepository } from "../storage/SenderAccountRepository.js"
import { Api } from "./Api.js"
import { CurrentOrg } from "./OrgAuth.js"

export const SenderAccountsLive = HttpApiBuilder.group(Api, "senderAccounts", (handlers) =>
  Effect.map(SenderAccountRepository, (accounts) =>
    handlers.handle("list", ({ urlParams }) =>
      Effect.flatMap(CurrentOrg, ({ orgId }) => accounts.forOrg(orgId, urlParams.flagged)).pipe(Effect.map((items) => ({ items }))))))
