import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * Telegram and in-app channels (#17): deliveries may be on either; a contact holds a Telegram chat id
 * (a recipient who wrote to one of the org's bots) and the sender's own app user id, each unique in
 * its org like the other addresses. An org's Telegram bots keep the secret Telegram sends back in
 * X-Telegram-Bot-Api-Secret-Token with every update.
 */
export default Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(`
ALTER TABLE deliveries DROP CONSTRAINT deliveries_channel_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_channel_check
  CHECK (channel IN ('email', 'sms', 'whatsapp', 'push', 'telegram', 'in_app'));
ALTER TABLE contacts ADD COLUMN telegram text, ADD COLUMN in_app text;
CREATE UNIQUE INDEX contacts_telegram ON contacts (org_id, telegram) WHERE telegram IS NOT NULL;
CREATE UNIQUE INDEX contacts_in_app ON contacts (org_id, in_app) WHERE in_app IS NOT NULL;
CREATE TABLE telegram_bots (
  id text PRIMARY KEY,
  org_id text NOT NULL,
  name text NOT NULL,
  bot_token text NOT NULL,
  secret_token text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX telegram_bots_org ON telegram_bots (org_id, created_at);
`))
