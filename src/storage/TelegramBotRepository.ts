import * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Schema } from "effect"
import { column, TelegramBotRow } from "./RowSchemas.js"
import { decodeFirst, decodeRows } from "./Rows.js"

const decodeBots = decodeRows(TelegramBotRow)
const decodeSecret = decodeFirst(Schema.Struct({ orgId: column("org_id", Schema.String), secretToken: column("secret_token", Schema.String) }))

/** An org's Telegram bots: the token Telegram gave the bot, and the secret Telegram sends back with every update. */
export class TelegramBotRepository extends Effect.Service<TelegramBotRepository>()("Sendtrail/TelegramBotRepository", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    return {
      add: Effect.fn("TelegramBotRepository.add")(function* (orgId: string, bot: { id: string; name: string; botToken: string; secretToken: string }) {
        const rows = yield* sql`
          INSERT INTO telegram_bots (id, org_id, name, bot_token, secret_token)
          VALUES (${bot.id}, ${orgId}, ${bot.name}, ${bot.botToken}, ${bot.secretToken})
          RETURNING id, name, created_at`.pipe(Effect.flatMap(decodeBots))
        return rows[0]!
      }, Effect.orDie),
      list: Effect.fn("TelegramBotRepository.list")(function* (orgId: string) {
        return yield* decodeBots(yield* sql`SELECT id, name, created_at FROM telegram_bots WHERE org_id = ${orgId} ORDER BY created_at, id`)
      }, Effect.orDie),
      remove: Effect.fn("TelegramBotRepository.remove")(function* (orgId: string, id: string) {
        return (yield* sql`DELETE FROM telegram_bots WHERE org_id = ${orgId} AND id = ${id} RETURNING 1`).length > 0
      }, Effect.orDie),
      /** Whose bot it is and the secret its updates must carry. */
      secretOf: Effect.fn("TelegramBotRepository.secretOf")(function* (id: string) {
        return yield* decodeSecret(yield* sql`SELECT org_id, secret_token FROM telegram_bots WHERE id = ${id}`)
      }, Effect.orDie)
    } as const
  })
}) {}
