import { Data, DateTime, Effect, Option } from "effect"
import { AppConfig } from "../AppConfig.js"
import { eventProblem } from "../domain/Event.js"
import { jsonTextProblem } from "../domain/JsonText.js"
import type { Vendor, VendorName, Verifier } from "../providers/Registry.js"
import { Providers } from "../providers/Registry.js"
import type { WebhookRequest } from "../providers/Webhook.js"
import { PayloadRejected, SignatureRejected } from "../providers/Webhook.js"
import { ConnectionRepository } from "../storage/ConnectionRepository.js"
import { DeadLetterRepository } from "../storage/DeadLetterRepository.js"
import { Inbox } from "./Inbox.js"
import { WebhookStats } from "./WebhookStats.js"

export class UnknownConnection extends Data.TaggedError("UnknownConnection")<{ readonly message: string }> {}

/** Whose webhook this is: the default org's (secrets from the environment), a stored connection's, or an org named in the path. */
export type Source =
  | { readonly _tag: "Default" }
  | { readonly _tag: "Connection"; readonly id: string }
  | { readonly _tag: "Org"; readonly orgId: string }

/**
 * The provider-independent half of a webhook: find whose it is, verify it with that org's secrets,
 * decode it (a verified body that does not decode is kept in dead letters), and store its events.
 */
export class Receiver extends Effect.Service<Receiver>()("Sendtrail/Receiver", {
  effect: Effect.gen(function* () {
    const config = yield* AppConfig
    const inbox = yield* Inbox
    const deadLetters = yield* DeadLetterRepository
    const connections = yield* ConnectionRepository
    const stats = yield* WebhookStats
    const providers = yield* Providers

    /** The org and the verifiers that may vouch for the request; any one of them passing is enough. */
    const resolve = (vendor: Vendor, source: Source) =>
      Effect.gen(function* () {
        const environment = vendor.fromEnvironment
        switch (source._tag) {
          case "Default":
            return { orgId: config.defaultOrgId, verifiers: [environment] }
          case "Connection": {
            const found = yield* connections.findById(source.id)
            if (Option.isNone(found) || found.value.vendor !== vendor.vendor) {
              return yield* new UnknownConnection({ message: `no ${vendor.vendor} connection '${source.id}'` })
            }
            return { orgId: found.value.orgId, verifiers: [vendor.fromConnection(source.id, found.value.secrets)] }
          }
          case "Org": {
            const own = (yield* connections.list(source.orgId)).filter((c) => c.vendor === vendor.vendor)
            const verifiers = own.map((c) => vendor.fromConnection(c.id, c.secrets))
            return { orgId: source.orgId, verifiers: source.orgId === config.defaultOrgId ? [environment, ...verifiers] : verifiers }
          }
        }
      })

    /** Passes when one verifier does; otherwise reports the first one's reason (the environment's, where it takes part). */
    const verifyAny = (verifiers: ReadonlyArray<Verifier>, request: WebhookRequest, vendor: string) => {
      const [first, ...others] = verifiers.map((verify) => verify(request))
      if (first === undefined) {
        return Effect.fail(new SignatureRejected({ check: "missing-secret", message: `no ${vendor} secrets are configured for this organisation` }))
      }
      return others.reduce((attempt, next) => Effect.catchAll(attempt, (reason) => Effect.mapError(next, () => reason)), first)
    }

    /** The org a request is for, once one of that org's verifiers vouches for it (inbound replies use this alone). */
    const authenticate = (vendorName: VendorName, source: Source, request: WebhookRequest) =>
      Effect.gen(function* () {
        const vendor = providers.get(vendorName)
        const { orgId, verifiers } = yield* resolve(vendor, source)
        yield* verifyAny(verifiers, request, vendor.vendor).pipe(Effect.tapError((e) => stats.rejected(vendor.vendor, e.check)))
        return orgId
      })

    /** A verified body that does not decode: counted, and kept in dead letters for inspection. */
    const keepRejected = (orgId: string, vendor: string, request: WebhookRequest, rejected: PayloadRejected) =>
      Effect.zipRight(
        stats.rejected(vendor, "undecodable"),
        Effect.flatMap(DateTime.now, (at) =>
          deadLetters.add({
            orgId, provider: vendor, inboxId: null, stage: "decode", error: rejected.message,
            rawBody: request.rawBody, headers: definedHeaders(request.headers), url: request.url,
            event: null, at
          }))
      )

    const receive = Effect.fnUntraced(function* (vendorName: VendorName, source: Source, request: WebhookRequest) {
      const vendor = providers.get(vendorName)
      // Before anything parses it, signed or not: some vendors' signatures live inside the JSON.
      const problem = isForm(request) ? undefined : jsonTextProblem(request.rawBody)
      if (problem !== undefined) {
        yield* stats.rejected(vendor.vendor, "body-limits")
        return yield* new PayloadRejected({ path: "", message: problem })
      }
      const { orgId, verifiers } = yield* resolve(vendor, source)
      yield* verifyAny(verifiers, request, vendor.vendor).pipe(
        Effect.zipRight(vendor.control(request)),
        Effect.tapError((e) => stats.rejected(vendor.vendor, e.check))
      )
      const stored = Effect.gen(function* () {
        const events = yield* vendor.decode(request, orgId).pipe(
          Effect.flatMap((events) => {
            // Nothing acknowledged may fail later for a reason knowable now (docs/webhooks.md, "Limits").
            for (const [i, event] of events.entries()) {
              const problem = eventProblem(event, request.receivedAt)
              if (problem !== undefined) return Effect.fail(new PayloadRejected({ path: "", message: `event ${i + 1}: ${problem}` }))
            }
            return Effect.succeed(events)
          }),
          Effect.tapError((rejected) => keepRejected(orgId, vendor.vendor, request, rejected))
        )
        return yield* inbox.append(events, source._tag === "Default")
      })
      const result = yield* stored.pipe(Effect.tapErrorCause(() => vendor.notStored(request)))
      yield* stats.accepted(vendor.vendor)
      return result
    })

    return { receive, authenticate, keepRejected } as const
  })
}) {}

const isForm = (request: WebhookRequest) => request.headers["content-type"]?.startsWith("application/x-www-form-urlencoded") === true

/** Headers that carry a credential are never kept. */
const secretHeaders = new Set(["authorization", "x-telegram-bot-api-secret-token"])

const definedHeaders = (headers: WebhookRequest["headers"]): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).flatMap(([name, value]) => (value === undefined || secretHeaders.has(name) ? [] : [[name, value]])))
