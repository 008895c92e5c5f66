import { describe, expect, layer } from "@effect/vitest"
import * as SqlClient from "@effect/sql/SqlClient"
import { DateTime, Effect } from "effect"
import { Inbox } from "../../src/ingest/Inbox.js"
import { Pipeline } from "../../src/ingest/Pipeline.js"
import { InboxRepository } from "../../src/storage/InboxRepository.js"
import { sqlBackends } from "../support/databases.js"
import { makeEvent } from "../support/events.js"
import { ingestSql } from "../support/ingest.js"

const backend = sqlBackends[0]!

describe("a failure's text is stored whatever it holds", () => {
  layer(ingestSql(backend, { PIPELINE_MAX_ATTEMPTS: "100" }), { excludeTestServices: true })((it) => {
    it.effect("an event naming another channel's delivery is retried with a readable reason, and the drain goes on", () =>
      Effect.gen(function* () {
        const inbox = yield* Inbox
        const pipeline = yield* Pipeline
        const sql = yield* SqlClient.SqlClient
        yield* inbox.append([makeEvent({ orgId: "org-text", type: "sent", channel: "sms", recipient: "+15550001111", providerMessageId: "m-text" })])
        yield* pipeline.drain
        // The same provider message on the email channel: a generic event sent without its channel.
        yield* inbox.append([
          makeEvent({ orgId: "org-text", type: "delivered", channel: "email", recipient: "+15550001111", providerMessageId: "m-text", providerEventId: "wrong-channel" }),
          makeEvent({ orgId: "org-text", type: "delivered", channel: "sms", recipient: "+15550001111", providerMessageId: "m-text", providerEventId: "right-channel" })
        ])
        yield* pipeline.drain
        const rows = yield* sql`SELECT provider_event_id, attempts, last_error, processed_at IS NOT NULL AS done FROM ingest_inbox WHERE org_id = 'org-text' ORDER BY id`
        expect(rows).toMatchObject([
          { done: true },
          { provider_event_id: "wrong-channel", done: false, last_error: "the event names delivery (generic message m-text to +15550001111 on email), which is not one of org org-text's" },
          { provider_event_id: "right-channel", done: true }
        ])
      }))

    it.effect("a failure recorded with NUL or a lone surrogate in its text keeps the rest of it", () =>
      Effect.gen(function* () {
        const inbox = yield* Inbox
        const repo = yield* InboxRepository
        const sql = yield* SqlClient.SqlClient
        yield* inbox.append([makeEvent({ orgId: "org-nul", type: "delivered", providerEventId: "nul-text" })])
        const [row] = yield* sql`SELECT id FROM ingest_inbox WHERE provider_event_id = 'nul-text'`
        const at = yield* DateTime.now
        expect(yield* repo.fail(Number(row!.id), "key a\u0000b and \ud800 half", at)).toBe(1)
        const [stored] = yield* sql`SELECT last_error FROM ingest_inbox WHERE provider_event_id = 'nul-text'`
        expect(stored!.last_error).toBe("key a\ufffdb and \ufffd half")
      }))
  })
})
