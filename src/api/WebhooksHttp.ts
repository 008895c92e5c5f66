import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { DateTime, Effect, Layer, Option } from "effect"
import { AppConfig } from "../AppConfig.js"
import { SuppressionList } from "../contacts/SuppressionList.js"
import type { Source, UnknownConnection } from "../ingest/Receiver.js"
import { Receiver } from "../ingest/Receiver.js"
import { decodeTelegramUpdate, sameSecret } from "../providers/Telegram.js"
import { decodeInbound } from "../providers/TwilioInbound.js"
import type { PayloadRejected } from "../providers/Webhook.js"
import { SignatureRejected } from "../providers/Webhook.js"
import { TelegramBotRepository } from "../storage/TelegramBotRepository.js"
import { overloadedResponse } from "./Errors.js"
import type { BodyTooLarge } from "./RawBody.js"
import { readBody } from "./RawBody.js"
import type { WebhookRoute } from "./Webhooks.js"
import { emptyTwiml, telegramPath, webhookRoutes } from "./Webhooks.js"

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
        const decoded = yield* decodeInbound(webhook).pipe(Effect.tapError((e) => receiver.keepRejected(orgId, route.vendor, webhook, e)))
        yield* replies.reply(orgId, decoded)
        return HttpServerResponse.text(emptyTwiml, { contentType: "text/xml" })
      }).pipe(Effect.catchTags(refusals))
    for (const route of webhookRoutes) yield* router.post(route.path, route.receives === "replies" ? reply(route) : receive(route))

    const bots = yield* TelegramBotRepository
    const secretHeader = "x-telegram-bot-api-secret-token"
    /** An update to one of an org's bots: its secret checked in constant time before the body is read as JSON. */
    const telegram = Effect.gen(function* () {
      const botId = (yield* HttpRouter.RouteContext).params.botId ?? ""
      const webhook = yield* incoming
      const bot = yield* bots.secretOf(botId)
      const given = webhook.headers[secretHeader]
      if (Option.isNone(bot) || given === undefined || !sameSecret(given, bot.value.secretToken)) {
        return yield* new SignatureRejected({ check: secretHeader, message: "does not match the secret of a bot at this URL" })
      }
      const { orgId } = bot.value
      const update = yield* decodeTelegramUpdate(botId, webhook.rawBody).pipe(Effect.tapError((e) => receiver.keepRejected(orgId, "telegram", webhook, e)))
      if (Option.isSome(update)) yield* replies.reply(orgId, update.value)
      return HttpServerResponse.empty()
    }).pipe(Effect.catchTags({ BodyTooLarge: refusals.BodyTooLarge, SignatureRejected: refusals.SignatureRejected, PayloadRejected: refusals.PayloadRejected }))
    yield* router.post(telegramPath, telegram)
  })).pipe(Layer.provide(SuppressionList.Default))
