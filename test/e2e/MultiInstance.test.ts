import { describe, expect, it } from "@effect/vitest"
import { inject } from "vitest"
import { dropDatabase, freshDatabaseUrl } from "../support/databases.js"
import { admin, withDatabase } from "../support/globalSetup.js"
import { startService } from "../support/service.js"
import type { RunningService } from "../support/service.js"
import { admin as adminHeaders, adminKey, drained, postGeneric, secret } from "../support/webhooks.js"

const types = ["sent", "delivered", "opened", "clicked", "soft_bounced", "soft_bounced", "delivered", "bounced", "complained", "unsubscribed"]

/** 300 requests of 40 events: 400 recipients, 1,200 messages, soft bounces and deliveries interleaved in time. */
const requests = Array.from({ length: 300 }, (_, r) =>
  Array.from({ length: 40 }, (_, i) => {
    const n = r * 40 + i
    const message = (n * 7919) % 1_200
    return {
      id: `multi-${n}`, type: types[(n * 13) % types.length], timestamp: new Date(Date.UTC(2026, 4, 1, 0, 0, (n * 37) % 3_600)).toISOString(),
      messageId: `multi-msg-${message}`, recipient: `m${message % 400}@example.com`, senderAccountId: `multi-sender-${message % 4}`
    }
  }))

/** Every row the pipeline writes, without what differs by construction (generated ids, wall-clock times). */
const snapshot = (url: string) =>
  admin(url, async (db) => {
    const rows = async (query: string) => (await db.query(query)).rows
    return {
      deliveries: await rows(`SELECT org_id, provider, provider_message_id, recipient, status, error_reason, sender_account_id,
        queued_at, sent_at, delivered_at, opened_at, clicked_at, failed_at, bounced_at, unsubscribed_at, complained_at,
        decided_at, decided_by, human_opened, human_clicked FROM deliveries ORDER BY provider_message_id, recipient`),
      events: await rows(`SELECT e.provider_event_id, e.type, e.occurred_at, e.details, d.provider_message_id FROM delivery_events e
        JOIN deliveries d ON d.id = e.delivery_id ORDER BY e.provider_event_id`),
      contacts: await rows("SELECT email, bounced_channels, (SELECT array_agg(x ORDER BY x) FROM unnest(opted_out) x) AS opted_out FROM contacts ORDER BY email"),
      suppressions: await rows(`SELECT channel, address, category, reason, source, metadata - 'deliveryId' AS metadata FROM suppressions
        ORDER BY channel, address, category`),
      activities: await rows(`SELECT a.kind, a.title, a.reason, a.source_key, a.occurred_at, c.email, d.provider_message_id FROM activities a
        LEFT JOIN contacts c ON c.id = a.contact_id LEFT JOIN deliveries d ON d.id = a.delivery_id ORDER BY a.source_key, a.kind`),
      audit: await rows("SELECT actor, action, subject, source_key FROM audit_log ORDER BY source_key, action"),
      rollups: await rows("SELECT * FROM rollup_daily ORDER BY org_id, day, channel"),
      senders: await rows("SELECT id, sent, delivered, bounced, complained, bounce_rate, complaint_rate FROM sender_accounts ORDER BY id"),
      timelines: await rows(`SELECT org_id, channel, address, (SELECT jsonb_agg(jsonb_build_array(e->0, e->1, e->2) ORDER BY n)
        FROM jsonb_array_elements(entries) WITH ORDINALITY AS t(e, n)) AS entries FROM address_timelines ORDER BY address`),
      pending: await rows("SELECT count(*)::int AS n FROM ingest_inbox WHERE processed_at IS NULL")
    }
  })

const env = (url: string, extra: Record<string, string> = {}) =>
  ({ DATABASE_URL: url, GENERIC_WEBHOOK_SECRET: secret, ADMIN_API_KEY: adminKey, SOFT_BOUNCE_ESCALATION: "2", DATABASE_POOL_SIZE: "6", ...extra })

describe("several instances on one database", () => {
  it("three services draining one inbox, one of them killed midway, leave the same rows as one service alone", { timeout: 180_000 }, async () => {
    // One inbox, acknowledged by a service that does not apply, copied into two databases.
    const filled = await freshDatabaseUrl()
    const acker = await startService(env(filled, { PIPELINE_ENABLED: "false" }))
    for (let i = 0; i < requests.length; i += 10) {
      const answers = await Promise.all(requests.slice(i, i + 10).map((body) => postGeneric(acker.baseUrl, body)))
      expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200))
    }
    expect(await acker.stop()).toBe(0)
    const copy = async () => {
      const name = `multi_${Math.random().toString(36).slice(2, 10)}`
      await admin(inject("testDatabase").url, (db) => db.query(`CREATE DATABASE ${name} TEMPLATE ${new URL(filled).pathname.slice(1)}`))
      return withDatabase(inject("testDatabase").url, name)
    }
    const alone = await copy()
    const together = await copy()

    const single = await startService(env(alone))
    await drained(single.baseUrl, 60_000)
    expect(await single.stop()).toBe(0)

    const services: Array<RunningService> = await Promise.all([0, 1, 2].map(() => startService(env(together))))
    // Killed once the drain is under way and before it ends: what it held rolls back and the others take it.
    let pendingAtKill = requests.length * 40
    while (pendingAtKill === requests.length * 40) {
      pendingAtKill = ((await (await fetch(`${services[1]!.baseUrl}/admin/inbox`, { headers: adminHeaders })).json()) as { pending: number }).pending
    }
    await services[0]!.kill()
    expect(pendingAtKill).toBeGreaterThan(0)
    await drained(services[1]!.baseUrl, 60_000)
    for (const service of services.slice(1)) expect(await service.stop()).toBe(0)

    const [one, three] = [await snapshot(alone), await snapshot(together)]
    expect(one.pending).toEqual([{ n: 0 }])
    expect(one.events).toHaveLength(requests.length * 40)
    expect(one.suppressions.length).toBeGreaterThan(0)
    expect(one.activities.some((a) => String(a.source_key).startsWith("soft-bounces:"))).toBe(true)
    expect(three).toEqual(one)
    for (const url of [filled, alone, together]) await dropDatabase(url)
  })
})
