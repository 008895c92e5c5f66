import { describe, expect, it } from "@effect/vitest"
import type Pg from "pg"
import { withDataDir } from "../support/dataDir.js"
import { startService, tempDataDir } from "../support/service.js"
import { adminKey, drained, postGeneric, secret } from "../support/webhooks.js"

const types = ["sent", "delivered", "opened", "opened", "clicked", "bounced", "soft_bounced", "complained", "unsubscribed"]

/** 150 requests of 4 events over 50 recipients and 3 sender accounts; every event id distinct. */
const requests = Array.from({ length: 150 }, (_, r) =>
  Array.from({ length: 4 }, (_, i) => {
    const n = r * 4 + i
    const recipient = n % 50
    return {
      id: `crash-${n}`,
      type: types[(n * 7) % types.length],
      timestamp: new Date(Date.UTC(2026, 4, 1, 0, n % 60)).toISOString(),
      messageId: `crash-msg-${recipient}`,
      recipient: `c${recipient}@example.com`,
      senderAccountId: `crash-sender-${recipient % 3}`
    }
  }))

const one = async <A>(db: Pg.Client, query: string) => (await db.query(query)).rows[0] as A

describe("a crash in the middle of a stream of webhooks", () => {
  it("loses no acknowledged event, applies each exactly once, and leaves nothing half-applied", { timeout: 120_000 }, async () => {
    const dataDir = tempDataDir()
    const env = { DATA_DIR: dataDir, GENERIC_WEBHOOK_SECRET: secret, ADMIN_API_KEY: adminKey }
    const first = await startService(env)
    const acknowledged: Array<string> = []
    let killed: Promise<void> | undefined
    let next = 0
    await Promise.all(Array.from({ length: 6 }, async () => {
      while (next < requests.length) {
        const batch = requests[next++]!
        const response = await postGeneric(first.baseUrl, batch).catch(() => undefined)
        if (response?.status === 200) acknowledged.push(...batch.map((e) => e.id))
        if (acknowledged.length >= 200 && killed === undefined) killed = first.kill()
      }
    }))
    await killed
    expect(acknowledged.length).toBeGreaterThanOrEqual(200)
    expect(acknowledged.length).toBeLessThan(600)

    const second = await startService(env)
    await drained(second.baseUrl)
    await new Promise((r) => setTimeout(r, 500))
    expect(await second.stop()).toBe(0)

    await withDataDir(dataDir, async (db) => {
      const applied = new Set((await db.query<{ id: string }>("SELECT provider_event_id AS id FROM delivery_events")).rows.map((r) => r.id))
      expect(acknowledged.filter((id) => !applied.has(id))).toEqual([])
      expect(await one(db, "SELECT count(*) AS n FROM delivery_events")).toEqual({ n: applied.size })
      // Whatever reached the inbox (acknowledged or not) was applied, and nothing else was.
      expect(await one(db, "SELECT count(*) AS n FROM ingest_inbox WHERE processed_at IS NULL")).toEqual({ n: 0 })
      expect(await one(db, `SELECT count(*) AS n FROM ingest_inbox i
        FULL JOIN delivery_events e ON e.provider = i.provider AND e.provider_event_id = i.provider_event_id
        WHERE i.id IS NULL OR e.id IS NULL`)).toEqual({ n: 0 })

      const rollups = await one<Record<string, number>>(db, `SELECT
        coalesce(sum(sent), 0)::int8 AS sent, coalesce(sum(delivered), 0)::int8 AS delivered, coalesce(sum(opened), 0)::int8 AS opened,
        coalesce(sum(opened_total), 0)::int8 AS opened_total, coalesce(sum(bounced), 0)::int8 AS bounced,
        coalesce(sum(soft_bounced), 0)::int8 AS soft_bounced, coalesce(sum(complained), 0)::int8 AS complained FROM rollup_daily`)
      const outbound = "(sent_at IS NOT NULL OR delivered_at IS NOT NULL OR opened_at IS NOT NULL OR clicked_at IS NOT NULL OR bounced_at IS NOT NULL OR complained_at IS NOT NULL)"
      const derived = await one<Record<string, number>>(db, `SELECT
        (SELECT count(*) FROM deliveries WHERE ${outbound}) AS sent,
        (SELECT count(*) FROM deliveries WHERE delivered_at IS NOT NULL) AS delivered,
        (SELECT count(*) FROM deliveries WHERE opened_at IS NOT NULL) AS opened,
        (SELECT count(*) FROM delivery_events WHERE type = 'opened') AS opened_total,
        (SELECT count(*) FROM deliveries WHERE bounced_at IS NOT NULL) AS bounced,
        (SELECT count(*) FROM delivery_events WHERE type = 'soft_bounced') AS soft_bounced,
        (SELECT count(*) FROM deliveries WHERE complained_at IS NOT NULL) AS complained`)
      expect(rollups).toEqual(derived)

      // A sender account's counters plus what it is still owed equal what its deliveries earned.
      const senders = await db.query<{ id: string; counted: number; earned: number }>(`
        SELECT d.sender_account_id AS id,
          coalesce((SELECT sent FROM sender_accounts s WHERE s.id = d.sender_account_id), 0) AS counted,
          count(*) FILTER (WHERE ${outbound}) AS earned
        FROM deliveries d GROUP BY d.sender_account_id`)
      expect(senders.rows.length).toBe(3)
      for (const sender of senders.rows) expect(sender.counted).toBe(sender.earned)
    })
  })
})
