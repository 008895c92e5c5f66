import { describe, expect, it } from "@effect/vitest"
import { existsSync, readFileSync } from "node:fs"
import * as path from "node:path"
import { isAlive } from "../../src/storage/Processes.js"
import { startService, tempDataDir } from "../support/service.js"
import { admin, adminKey, drained, postGeneric, secret } from "../support/webhooks.js"

const postmasterPid = (dataDir: string) =>
  Number(readFileSync(path.join(dataDir, "postgres", "postmaster.pid"), "utf8").split("\n")[0])

const isRunning = isAlive

const senderAccounts = (baseUrl: string) =>
  fetch(`${baseUrl}/admin/sender-accounts?orgId=default`, { headers: admin }).then((r) => r.json() as Promise<{ items: Array<{ id: string; sent: number }> }>)

describe("the embedded PostgreSQL server's life with the service", () => {
  it("the first start creates the cluster, SIGTERM stops postgres with the service, and the next start finds the data", { timeout: 90_000 }, async () => {
    const dataDir = tempDataDir()
    const env = { DATA_DIR: dataDir, GENERIC_WEBHOOK_SECRET: secret, ADMIN_API_KEY: adminKey }
    const first = await startService(env)
    expect(existsSync(path.join(dataDir, "postgres", "PG_VERSION"))).toBe(true)
    const health = await fetch(`${first.baseUrl}/health`).then((r) => r.json())
    expect(health).toMatchObject({ status: "ok", database: { kind: "embedded", state: "up" } })
    expect(JSON.stringify(health)).not.toContain(dataDir) // where the files are is nobody's business
    const event = { id: "life-1", type: "sent", timestamp: "2026-05-01T00:00:00Z", messageId: "life-m", recipient: "ada@example.com", senderAccountId: "acct-life" }
    expect((await postGeneric(first.baseUrl, [event])).status).toBe(200)
    await drained(first.baseUrl)
    const postgresPid = postmasterPid(dataDir)
    expect(isRunning(postgresPid)).toBe(true)
    expect(await first.stop("SIGTERM")).toBe(0)
    // The database server stopped with the service: no process left, nothing left locked.
    expect(isRunning(postgresPid)).toBe(false)
    expect(existsSync(path.join(dataDir, "postgres", "postmaster.pid"))).toBe(false)

    // The second start reuses the cluster (migrations already applied) and serves what the first stored.
    const second = await startService(env)
    let accounts = await senderAccounts(second.baseUrl)
    for (let i = 0; i < 50 && accounts.items.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100))
      accounts = await senderAccounts(second.baseUrl)
    }
    expect(accounts.items).toMatchObject([{ id: "acct-life", sent: 1 }])
    expect(await second.stop("SIGINT")).toBe(0)
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
})
