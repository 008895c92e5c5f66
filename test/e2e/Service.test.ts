import { describe, expect, it } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { DateTime, Effect, Layer, ManagedRuntime, Option } from "effect"
import * as path from "node:path"
import { DeliveryRepository } from "../../src/storage/DeliveryRepository.js"
import * as Database from "../../src/storage/Database.js"
import { freshSchemaUrl } from "../support/databases.js"
import { startService, tempDataDir } from "../support/service.js"
import { admin, adminKey, drained, postGeneric, secret } from "../support/webhooks.js"

/** Opens the service's data folder from the test, while the service is stopped. */
const withDataDir = <A>(dataDir: string, effect: Effect.Effect<A, never, DeliveryRepository | SqlClient.SqlClient>) => {
  const runtime = ManagedRuntime.make(
    DeliveryRepository.Default.pipe(Layer.provideMerge(Layer.orDie(Database.embeddedLayer(path.join(dataDir, "pglite")))))
  )
  return runtime.runPromise(effect).finally(() => runtime.dispose())
}

describe("the service as a process", () => {
  it("starts on an empty data folder, stops on SIGTERM, and finds its data on the next start", { timeout: 90_000 }, async () => {
    const dataDir = tempDataDir()
    const first = await startService({ DATA_DIR: dataDir })
    const health = await fetch(`${first.baseUrl}/health`).then((r) => r.json())
    expect(health).toMatchObject({ status: "ok", database: { kind: "embedded", state: "up", location: path.join(dataDir, "pglite") } })
    expect(await first.stop("SIGTERM")).toBe(0)

    const at = DateTime.unsafeMake("2026-05-01T00:00:00Z")
    const key = { orgId: "org-e2e", provider: "generic", providerMessageId: "m-1", recipient: "ada@example.com" }
    await withDataDir(dataDir, DeliveryRepository.pipe(Effect.flatMap((repo) =>
      repo.acquire({ ...key, broadcastId: null, contactId: null, channel: "email", status: "sent", senderAccountId: null, cost: null, at, reached: true })
    )))

    const second = await startService({ DATA_DIR: dataDir })
    expect((await fetch(`${second.baseUrl}/health`)).status).toBe(200)
    expect(await second.stop("SIGINT")).toBe(0)

    const [found, migrations] = await withDataDir(dataDir, Effect.all([
      Effect.flatMap(DeliveryRepository, (repo) => repo.findByProviderMessage(key)),
      Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ n: number }>`SELECT count(*) AS n FROM sendtrail_migrations`).pipe(Effect.orDie)
    ]))
    expect(Option.map(found, (d) => d.status)).toEqual(Option.some("sent"))
    expect(migrations[0]?.n).toBe(1)
  })

  it("refuses to start on a bad setting and names it", { timeout: 30_000 }, async () => {
    await expect(startService({ DATA_DIR: tempDataDir(), PORT: "70000" }, 10_000)).rejects.toThrow(/PORT.*TCP port between 1 and 65535/s)
  })

  it.runIf(process.env.TEST_DATABASE_URL)("one instance can only acknowledge while another, on the same database, applies", { timeout: 90_000 }, async () => {
    const env = { DATABASE_URL: await freshSchemaUrl(process.env.TEST_DATABASE_URL!), GENERIC_WEBHOOK_SECRET: secret, ADMIN_API_KEY: adminKey }
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

  it.runIf(process.env.TEST_DATABASE_URL)("uses the PostgreSQL server named by DATABASE_URL", { timeout: 60_000 }, async () => {
    const service = await startService({ DATA_DIR: tempDataDir(), DATABASE_URL: await freshSchemaUrl(process.env.TEST_DATABASE_URL!) })
    const health = await fetch(`${service.baseUrl}/health`).then((r) => r.json())
    expect(health).toMatchObject({ status: "ok", database: { kind: "postgres", state: "up" } })
    expect(JSON.stringify(health)).not.toMatch(/postgres:\/\//)
    expect(await service.stop()).toBe(0)
  })
})
