import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { DateTime, Effect, Layer } from "effect"
import { AppConfig } from "../AppConfig.js"
import { SuppressionList } from "../contacts/SuppressionList.js"
import type { Source, UnknownConnection } from "../ingest/Receiver.js"
import { Receiver } from "../ingest/Receiver.js"
import { decodeInbound } from "../providers/TwilioInbound.js"
import type { PayloadRejected, SignatureRejected } from "../providers/Webhook.js"
import { overloadedResponse } from "./Errors.js"
import type { BodyTooLarge } from "./RawBody.js"
import { readBody } from "./RawBody.js"
import type { WebhookRoute } from "./Webhooks.js"
import { emptyTwiml, webhookRoutes } from "./Webhooks.js"

const rejectionError = { 401: "SignatureRejected", 403: "Forbidden", 503: "ServiceUnavailable" } as const

/** The house error shape (api/Errors.ts), answered directly: these routes are outside the HttpApi. */
const refuse = (error: string, status: number, message: string) => Effect.succeed(HttpServerResponse.unsafeJson({ error, message }, { status }))

const refusals = {
  BodyTooLarge: (e: BodyTooLarge) => refuse("PayloadTooLarge", 413, `the body is larger than ${e.limit} bytes`),
  UnknownConnection: (e: UnknownConnection) => refuse("NotFound", 404, e.message),
  SignatureRejected: (e: SignatureRejected) => refuse(rejectionError[e.status ?? 401], e.status ?? 401, `${e.check}: ${e.message}`),
  PayloadRejected: (e: PayloadRejected) => refuse("PayloadRejected", 400, e.message)
}

const sourceOf = (route: WebhookRoute, params: Readonly<Record<string, string | undefined>>): Source => {
  switch (route.owner) {
    case "default":
      return { _tag: "Default" }
    case "connection":
      return { _tag: "Connection", id: params.connectionId ?? "" }
    case "org":
      return { _tag: "Org", orgId: params.orgId ?? "" }
  }
}

/**
 * Every provider webhook route (api/Webhooks.ts), on the API's router: the raw body goes to the
 * receiver (events) or, verified, to the suppression list (a recipient's replies); refusals are
 * answered in the same JSON shapes as the rest of the API.
 */
export const WebhooksLive = HttpApiBuilder.Router.use((router) =>
  Effect.gen(function* () {
    const config = yield* AppConfig
    const receiver = yield* Receiver
    /** The request as providers verify it: the exact bytes, the headers, the public URL, the time of receipt. */
    const incoming = Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      return {
        rawBody: yield* readBody(request, config.webhookMaxBodyBytes),
        headers: { ...request.headers },
        url: `${config.publicBaseUrl}${request.url}`,
        receivedAt: yield* DateTime.now
      }
    })
    const sourceFor = (route: WebhookRoute) => Effect.map(HttpRouter.RouteContext, ({ params }) => sourceOf(route, params))
    const receive = (route: WebhookRoute) =>
      Effect.gen(function* () {
        const { accepted, duplicates } = yield* receiver.receive(route.vendor, yield* sourceFor(route), yield* incoming)
        return HttpServerResponse.unsafeJson({ accepted, duplicates })
      }).pipe(
        Effect.catchTags({
          ...refusals,
          InboxOverloaded: (e) => Effect.succeed(overloadedResponse(`${e.backlog} events wait to be applied`, e.retryAfterSeconds))
        })
      )
    const replies = yield* SuppressionList
    const reply = (route: WebhookRoute) =>
      Effect.gen(function* () {
        const webhook = yield* incoming
        const orgId = yield* receiver.authenticate(route.vendor, yield* sourceFor(route), webhook)
        yield* replies.reply(orgId, yield* decodeInbound(webhook))
        return HttpServerResponse.text(emptyTwiml, { contentType: "text/xml" })
      }).pipe(Effect.catchTags(refusals))
    for (const route of webhookRoutes) yield* router.post(route.path, route.receives === "replies" ? reply(route) : receive(route))
  })).pipe(Layer.provide(SuppressionList.Default))
