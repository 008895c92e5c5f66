import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { DateTime, Effect } from "effect"
import { AppConfig } from "../AppConfig.js"
import type { Source } from "../ingest/Receiver.js"
import { Receiver } from "../ingest/Receiver.js"
import type { vendors } from "../providers/Registry.js"
import { Api } from "./Api.js"
import { overloadedResponse } from "./Errors.js"
import { readBody } from "./RawBody.js"

const rejectionError = { 401: "SignatureRejected", 403: "Forbidden", 503: "ServiceUnavailable" } as const

export const WebhooksLive = HttpApiBuilder.group(Api, "webhooks", (handlers) =>
  Effect.gen(function* () {
    const config = yield* AppConfig
    const receiver = yield* Receiver

    const receive = (vendor: keyof typeof vendors, source: Source, request: HttpServerRequest.HttpServerRequest) =>
      Effect.gen(function* () {
        const rawBody = yield* readBody(request, config.webhookMaxBodyBytes)
        const headers: Record<string, string> = { ...request.headers }
        return yield* receiver.receive(vendor, source, {
          rawBody,
          headers,
          url: `${config.publicBaseUrl}${request.url}`,
          receivedAt: yield* DateTime.now
        })
      }).pipe(
        Effect.catchTags({
          BodyTooLarge: (e) => Effect.fail({ error: "PayloadTooLarge" as const, message: `the body is larger than ${e.limit} bytes` }),
          UnknownConnection: (e) => Effect.fail({ error: "NotFound" as const, message: e.message }),
          SignatureRejected: (e) => Effect.fail({ error: rejectionError[e.status ?? 401], message: `${e.check}: ${e.message}` }),
          PayloadRejected: (e) => Effect.fail({ error: "PayloadRejected" as const, message: e.message }),
          InboxOverloaded: (e) => Effect.succeed(overloadedResponse(`${e.backlog} events wait to be applied`, e.retryAfterSeconds))
        })
      )

    return handlers
      .handle("generic", ({ request }) => receive("generic", { _tag: "Default" }, request))
      .handle("genericConnection", ({ path, request }) => receive("generic", { _tag: "Connection", id: path.connectionId }, request))
      .handle("sendgrid", ({ request }) => receive("sendgrid", { _tag: "Default" }, request))
      .handle("sendgridConnection", ({ path, request }) => receive("sendgrid", { _tag: "Connection", id: path.connectionId }, request))
      .handle("mailgun", ({ request }) => receive("mailgun", { _tag: "Default" }, request))
      .handle("mailgunConnection", ({ path, request }) => receive("mailgun", { _tag: "Connection", id: path.connectionId }, request))
      .handle("resend", ({ request }) => receive("resend", { _tag: "Default" }, request))
      .handle("resendConnection", ({ path, request }) => receive("resend", { _tag: "Connection", id: path.connectionId }, request))
      .handle("postmark", ({ request }) => receive("postmark", { _tag: "Default" }, request))
      .handle("postmarkConnection", ({ path, request }) => receive("postmark", { _tag: "Connection", id: path.connectionId }, request))
      .handle("ses", ({ path, request }) => receive("ses", { _tag: "Org", orgId: path.orgId }, request))
      .handle("sesDefault", ({ request }) => receive("ses", { _tag: "Default" }, request))
      .handle("twilio", ({ request }) => receive("twilio", { _tag: "Default" }, request))
      .handle("twilioConnection", ({ path, request }) => receive("twilio", { _tag: "Connection", id: path.connectionId }, request))
  }))
