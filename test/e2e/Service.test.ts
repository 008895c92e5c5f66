import { describe, expect, it } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { DateTime, Effect, Layer, ManagedRuntime, Option } from "effect"
import { existsSync, readFileSync } from "node:fs"
import * as path from "node:path"
import { DeliveryRepository } from "../../src/storage/DeliveryRepository.js"
import * as Database from "../../src/storage/Database.js"
import * as EmbeddedPostgres from "../../src/storage/EmbeddedPostgres.js"
import { freshDatabaseUrl } from "../support/databases.js"
import { startService, tempDataDir } from "../support/service.js"
import { admin, adminKey, drained, postGeneric, secret } from "../support/webhooks.js"

/** Opens the service's data folder from the test, while the service is stopped. */
const withDataDir = <A>(dataDir: string, effect: Effect.Effect<A, never, DeliveryRepository | SqlClient.SqlClient>) => {
  const runtime = ManagedRuntime.make(
    DeliveryRepository.Default.pipe(Layer.provideMerge(Layer.orDie(Database.embeddedLayer(dataDir, 2))))
  )
  return runtime.runPromise(effect).finally(() => runtime.dispose())
}

const postmasterPid = (dataDir: string) =>
  Number(readFileSync(path.join(dataDir, "postgres", "postmaster.pid"), "utf8").split("\n")[0])

const isRunning = EmbeddedPostgres.isAlive

describe("the service as a process", () => {
  it("starts on an empty data folder, stops on SIGTERM, and finds its data on the next start", { timeout: 90_000 }, async () => {
    const dataDir = tempDataDir()
    const first = await startService({ DATA_DIR: dataDir })
    const health = await fetch(`${first.baseUrl}/health`).then((r) => r.json())
    expect(health).toMatchObject({ status: "ok", database: { kind: "embedded", state: "up" } })
    expect(JSON.stringify(health)).not.toContain(dataDir) // where the files are is nobody's business
    const postgresPid = postmasterPid(dataDir)
    expect(isRunning(postgresPid)).toBe(true)
    expect(await first.stop("SIGTERM")).toBe(0)
    // The database server stopped with the service: no process left, nothing left locked.
    expect(isRunning(postgresPid)).toBe(false)
    expect(existsSync(path.join(dataDir, "postgres", "postmaster.pid"))).toBe(false)

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
    expect(migrations[0]?.n).toBe(2)
  })

  it("after a kill -9 the next start stops the orphaned database server and serves again", { timeout: 90_000 }, async () => {
    const dataDir = tempDataDir()
    const first = await startService({ DATA_DIR: dataDir })
    const orphan = postmasterPid(dataDir)
    await first.kill()
    expect(isRunning(orphan)).toBe(true) // the server outlives a killed service

    const second = await startService({ DATA_DIR: dataDir })
    expect(isRunning(orphan)).toBe(false)
    expect(postmasterPid(dataDir)).not.toBe(orphan)
    expect((await fetch(`${second.baseUrl}/health`)).status).toBe(200)
    expect(await second.stop()).toBe(0)
  })

  it("a second service on a data folder in use refuses to start and names the folder", { timeout: 90_000 }, async () => {
    const dataDir = tempDataDir()
    const first = await startService({ DATA_DIR: dataDir })
    try {
      await expect(startService({ DATA_DIR: dataDir }, 20_000)).rejects.toThrow(new RegExp(`data folder ${dataDir} is in use by another Sendtrail process`))
      expect((await fetch(`${first.baseUrl}/health`)).status).toBe(200)
    } finally {
      expect(await first.stop()).toBe(0)
    }
  })

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
