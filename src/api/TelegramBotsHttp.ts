import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { randomBytes, randomUUID } from "node:crypto"
import { Effect } from "effect"
import { AppConfig } from "../AppConfig.js"
import { TelegramBotRepository } from "../storage/TelegramBotRepository.js"
import { Api } from "./Api.js"
import { CurrentOrg } from "./OrgAuth.js"

export const telegramWebhookPath = (botId: string) => `/api/telegram/webhook/${botId}`

export const TelegramBotsLive = HttpApiBuilder.group(Api, "telegramBots", (handlers) =>
  Effect.gen(function* () {
    const bots = yield* TelegramBotRepository
    const { publicBaseUrl } = yield* AppConfig
    return handlers
      .handle("create", ({ payload }) =>
        Effect.gen(function* () {
          const { orgId } = yield* CurrentOrg
          // Telegram allows 1–256 characters of A-Z, a-z, 0-9, _ and -: base64url of 32 random bytes is 43 of them.
          const secretToken = randomBytes(32).toString("base64url")
          const bot = yield* bots.add(orgId, { id: randomUUID(), name: payload.name, botToken: payload.botToken, secretToken })
          return { ...bot, webhookUrl: `${publicBaseUrl}${telegramWebhookPath(bot.id)}`, secretToken }
        }))
      .handle("list", () => Effect.map(Effect.flatMap(CurrentOrg, ({ orgId }) => bots.list(orgId)), (items) => ({ items })))
      .handle("remove", ({ path }) =>
        Effect.flatMap(CurrentOrg, ({ orgId }) => bots.remove(orgId, path.id)).pipe(
          Effect.flatMap((removed) => removed ? Effect.void : Effect.fail({ error: "NotFound" as const, message: `no Telegram bot '${path.id}'` }))))
  }))
