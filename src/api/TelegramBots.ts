import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { BadRequest, Forbidden, NotFound, Unauthorized } from "./Errors.js"
import { OrgAuth } from "./OrgAuth.js"

/** `123456789:AA…`: the bot's id, a colon, and 30 or more characters of its key (core.telegram.org/bots/api#authorizing-your-bot). */
const BotToken = Schema.String.pipe(Schema.pattern(/^\d{1,20}:[A-Za-z0-9_-]{30,100}$/, {
  message: () => "expected a bot token as @BotFather gives it: digits, a colon, then the key"
})).annotations({ description: "the token @BotFather gave the bot; stored, never shown again" })

export const NewTelegramBot = Schema.Struct({
  name: Schema.Trim.pipe(Schema.nonEmptyString({ message: () => "name the bot (e.g. its @username)" }), Schema.maxLength(100)),
  botToken: BotToken
})

export const TelegramBotView = Schema.Struct({ id: Schema.String, name: Schema.String, createdAt: Schema.DateTimeUtc })

export const CreatedTelegramBot = Schema.Struct({
  ...TelegramBotView.fields,
  webhookUrl: Schema.String.annotations({ description: "give it to Telegram's setWebhook as url" }),
  secretToken: Schema.String.annotations({
    description: "give it to Telegram's setWebhook as secret_token: Telegram sends it back in X-Telegram-Bot-Api-Secret-Token. Shown once"
  })
})

/** An org's Telegram bots, whose updates arrive at /api/telegram/webhook/{id}. Handlers live in TelegramBotsHttp.ts. */
export class TelegramBotsApi extends HttpApiGroup.make("telegramBots")
  .add(
    HttpApiEndpoint.post("create", "/telegram-bots")
      .setPayload(NewTelegramBot)
      .addSuccess(CreatedTelegramBot, { status: 201 })
      .addError(BadRequest)
      .annotate(OpenApi.Summary, "Register a Telegram bot: answers the webhook URL and the secret token to give Telegram's setWebhook (docs/inbound.md)")
  )
  .add(
    HttpApiEndpoint.get("list", "/telegram-bots")
      .addSuccess(Schema.Struct({ items: Schema.Array(TelegramBotView) }))
      .annotate(OpenApi.Summary, "The org's Telegram bots, oldest first (never their tokens or secrets)")
  )
  .add(
    HttpApiEndpoint.del("remove")`/telegram-bots/${HttpApiSchema.param("id", Schema.String)}`
      .addSuccess(HttpApiSchema.NoContent)
      .addError(NotFound)
      .annotate(OpenApi.Summary, "Forget a bot: its updates are refused from then on")
  )
  .middleware(OrgAuth)
  .addError(Unauthorized)
  .addError(Forbidden) {}
