import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { DateTime, Effect, Layer } from "effect"
import { Channel, normalizeAddress } from "../domain/Event.js"
import { AuditLog } from "../reports/AuditLog.js"
import { Api } from "./Api.js"
import { CurrentOrg } from "./OrgAuth.js"

const badRequest = (message: string) => Effect.fail({ error: "BadRequest" as const, message })

const isChannel = (text: string): text is Channel => (Channel.literals as ReadonlyArray<string>).includes(text)

/** `Email:Ada@Example.com` finds what the audit wrote, `email:ada@example.com`: an address as the audit writes it. */
const canonicalSubject = (subject: string) => {
  const colon = subject.indexOf(":")
  const channel = subject.slice(0, colon).toLowerCase()
  return colon > 0 && isChannel(channel) ? `${channel}:${normalizeAddress(channel, subject.slice(colon + 1))}` : subject
}

export const AuditLive = HttpApiBuilder.group(Api, "audit", (handlers) =>
  Effect.map(AuditLog, (log) =>
    handlers.handle("list", ({ urlParams: { subject, action, from, to, cursor, limit } }) =>
      from !== undefined && to !== undefined && DateTime.lessThan(to, from)
        ? badRequest("to: must not be before from")
        : Effect.flatMap(CurrentOrg, ({ orgId }) =>
          log.page(orgId, { subject: subject === undefined ? undefined : canonicalSubject(subject), action, from, to }, cursor, limit)).pipe(
            Effect.catchTag("InvalidCursor", (e) => badRequest(e.message))
          )))).pipe(Layer.provide(AuditLog.Default))
