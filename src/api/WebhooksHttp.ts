import { HttpApiBuilder } from "@effect/platform"
import { DateTime, Effect, Option } from "effect"
import { AppConfig } from "../AppConfig.js"
import { Inbox } from "../ingest/Inbox.js"
import * as Generic from "../providers/Generic.js"
import { DeadLetterRepository } from "../storage/DeadLetterRepository.js"
import { Api } from "./Api.js"
import { overloadedResponse } from "./Errors.js"

export const WebhooksLive = HttpApiBuilder.group(Api, "webhooks", (handlers) =>
  Effect.gen(function* () {
    const config = yield* AppConfig
    const inbox = yield* Inbox
    const deadLetters = yield* DeadLetterRepository
    const secret = Option.getOrUndefined(config.genericWebhookSecret)
    const orgId = config.defaultOrgId

    return handlers.handle("generic", ({ request }) =>
      Effect.gen(function* () {
        const body = new Uint8Array(yield* Effect.orDie(request.arrayBuffer))
        yield* Generic.verify(secret, request.headers["x-webhook-signature"], body)
        const events = yield* Generic.decode(body, orgId).pipe(
          Effect.tapError((rejected) =>
            Effect.flatMap(DateTime.now, (at) =>
              deadLetters.add({
                orgId, provider: Generic.provider, inboxId: null, stage: "decode",
                error: rejected.message, rawBody: new TextDecoder().decode(body), event: null, at
              })))
        )
        return yield* inbox.append(events)
      }).pipe(
        Effect.catchTags({
          // Counted in the log until /metrics exists; the body is not kept (it proved nothing).
          SignatureRejected: (e) =>
            Effect.zipRight(
              Effect.logWarning(`webhook rejected: vendor=${Generic.provider} check=${e.check}`),
              Effect.fail({ error: "SignatureRejected" as const, message: `${e.check}: ${e.message}` })
            ),
          PayloadRejected: (e) => Effect.fail({ error: "PayloadRejected" as const, message: e.message }),
          InboxOverloaded: (e) => Effect.succeed(overloadedResponse(`${e.backlog} events wait to be applied`, e.retryAfterSeconds))
        })
      ))
  }))
