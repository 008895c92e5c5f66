import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { DateTime, Effect, Layer, Option } from "effect"
import { AppConfig } from "../AppConfig.js"
import { SuppressionList } from "../contacts/SuppressionList.js"
import { Receiver } from "../ingest/Receiver.js"
import { decodeTelegramUpdate, sameSecret } from "../providers/Telegram.js"
import { decodeInbound } from "../providers/TwilioInbound.js"
import type { PayloadRejected } from "../providers/Webhook.js"
import { SignatureRejected } from "../providers/Webhook.js"
import { TelegramBotRepository } from "../storage/TelegramBotRepository.js"
import { readBody } from "./RawBody.js"
import type { Refusal } from "./WebhookRoutes.js"
import { refusals, sourceOf } from "./WebhookRoutes.js"
import type { WebhookRoute } from "./Webhooks.js"
import { emptyTwiml, telegramPath, webhookRoutes } from "./Webhooks.js"

const respond = (refusal: Refusal) => Effect.succeed(HttpServerResponse.unsafeJson(refusal.body, { status: refusal.status }))

/** The refusals of a reply or a bot update, in the same JSON shapes as the event routes' (api/WebhookRoutes.ts). */
const refused = {
  BodyTooLarge: (e: { readonly limit: number }) => respond(refusals.tooLarge(e.limit)),
  SignatureRejected: (e: SignatureRejected) => respond(refusals.SignatureRejected(e)),
  PayloadRejected: (e: PayloadRejected) => respond(refusals.PayloadRejected(e))
}

/**
 * A recipient's replies (Twilio's incoming messages) and Telegram bot updates, on the API's router: the
 * raw body is verified, then goes to the suppression list. The providers' event webhooks are routes of
 * Bun's server itself (api/WebhookRoutes.ts).
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
    const replies = yield* SuppressionList
    const reply = (route: WebhookRoute) =>
      Effect.gen(function* () {
        const webhook = yield* incoming
        const orgId = yield* receiver.authenticate(route.vendor, yield* sourceFor(route), webhook)
        const decoded = yield* decodeInbound(webhook).pipe(Effect.tapError((e) => receiver.keepRejected(orgId, route.vendor, webhook, e)))
        yield* replies.reply(orgId, decoded)
        return HttpServerResponse.text(emptyTwiml, { contentType: "text/xml" })
      }).pipe(Effect.catchTags({ ...refused, UnknownConnection: (e) => respond(refusals.UnknownConnection(e)) }))
    for (const route of webhookRoutes) if (route.receives === "replies") yield* router.post(route.path, reply(route))

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
    }).pipe(Effect.catchTags(refused))
    yield* router.post(telegramPath, telegram)
  })).pipe(Layer.provide(SuppressionList.Default))
