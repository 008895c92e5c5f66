import { describe, expect, it } from "@effect/vitest"
import { freshDatabaseUrl } from "../support/databases.js"
import { startService, tempDataDir } from "../support/service.js"
import { admin, adminKey, drained, postGeneric, secret } from "../support/webhooks.js"

describe("the service as a process", () => {
  it("refuses to start on a bad setting and names it", { timeout: 30_000 }, async () => {
    await expect(startService({ DATA_DIR: tempDataDir(), PORT: "70000" }, 10_000)).rejects.toThrow(/PORT.*TCP port between 1 and 65535/s)
  })

  it("one instance can only acknowledge while another, on the same database, applies", { timeout: 90_000 }, async () => {
    const env = { DATABASE_URL: await freshDatabaseUrl(), GENERIC_WEBHOOK_SECRET: secret, ADMIN_API_KEY: adminKey }
    const acknowledging = await startService({ ...env, DATA_DIR: tempDataDir(), PIPELINE_ENABLED: "false" })
    try {
      const body = [{ id: "split-1", type: "delivered", timestamp: "2026-05-01T00:00:00Z", messageId: "split-m", recipient: "ada@example.com" }]
      expect(await (await postGeneric(acknowledging.baseUrl, body)).json()).toEqual({ accepted: 1, duplicates: 0 })
      await new Promise((r) => setTimeout(r, 700))
      const waiting = (await fetch(`${acknowledging.baseUrl}/admin/inbox`, { headers: admin }).then((r) => r.json())) as { pending: number }
      expect(waiting.pending).toBe(1)
      const applying = await startService({ ...env, DATA_DIR: tempDataDir() })
      try {
        await drained(acknowledging.baseUrl)
      } finally {
        expect(await applying.stop()).toBe(0)
      }
    } finally {
      expect(await acknowledging.stop()).toBe(0)
    }
  })

  it("uses the PostgreSQL server named by DATABASE_URL", { timeout: 60_000 }, async () => {
    const service = await startService({ DATA_DIR: tempDataDir(), DATABASE_URL: await freshDatabaseUrl() })
    const health = await fetch(`${service.baseUrl}/health`).then((r) => r.json())
    expect(health).toMatchObject({ status: "ok", database: { kind: "postgres", state: "up" } })
    expect(JSON.stringify(health)).not.toMatch(/postgres:\/\//)
    expect(await service.stop()).toBe(0)
  })
})
