// The embedded default against a PostgreSQL server, side by side: acknowledged signed webhooks (single
// events and 500-event batches, closed loops) on each, alternating rounds, and the memory of the whole
// process tree (service + postgres processes, PSS so shared pages count once) idle and after the load.
//
//   BENCH_DATABASE_URL  the server (maintenance database); a database is created per round and dropped
//   BENCH_SECONDS       seconds per load step (default 10)
//   BENCH_ROUNDS        alternating rounds (default 2)
import Pg from "pg"
import { readdirSync, readFileSync } from "node:fs"
import { sign } from "../../src/providers/Generic.js"
import { startService, tempDataDir } from "../support/service.js"
import type { RunningService } from "../support/service.js"

const url = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres"
const seconds = Number(process.env.BENCH_SECONDS ?? 10)
const rounds = Number(process.env.BENCH_ROUNDS ?? 2)
const secret = "bench-secret"
const runId = Date.now().toString(36)
let sequence = 0

const event = () => {
  const n = sequence++
  return { id: `${runId}-${n}`, type: n % 3 === 0 ? "sent" : n % 3 === 1 ? "delivered" : "opened", timestamp: "2026-11-01T10:00:00Z",
    messageId: `m-${runId}-${n % 50_000}`, recipient: `r${n % 10_000}@example.com`, senderAccountId: `acct-${n % 5}` }
}

/** Closed loop: `connections` workers each post, wait for the answer, post again, for `seconds`. */
const load = async (baseUrl: string, connections: number, perRequest: number) => {
  const deadline = performance.now() + seconds * 1000
  let acknowledged = 0
  const latencies: Array<number> = []
  await Promise.all(Array.from({ length: connections }, async () => {
    while (performance.now() < deadline) {
      const body = JSON.stringify(Array.from({ length: perRequest }, event))
      const started = performance.now()
      const response = await fetch(`${baseUrl}/connect/webhook/generic`, {
        method: "POST", body, headers: { "content-type": "application/json", "x-webhook-signature": `sha256=${sign(secret, body)}` }
      })
      await response.arrayBuffer()
      if (response.status === 200) (acknowledged += perRequest, latencies.push(performance.now() - started))
    }
  }))
  latencies.sort((a, b) => a - b)
  return { perSecond: acknowledged / seconds, p99: latencies[Math.floor(latencies.length * 0.99)] ?? NaN }
}

/** Every process descending from `root` (the postgres server and its backends included). */
const processTree = (root: number): Array<number> => {
  const parents = new Map<number, Array<number>>()
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, "utf8").replace(/^.*\) /, "").split(" ")[1])
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)])
    } catch {
      // gone meanwhile
    }
  }
  const tree = [root]
  for (let i = 0; i < tree.length; i++) tree.push(...(parents.get(tree[i]!) ?? []))
  return tree
}

/** PSS in MB of the tree, and of its postgres processes alone. */
const pssMegabytes = (root: number) =>
  processTree(root).reduce((sum, pid) => {
    try {
      const pss = Number(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8").match(/^Pss:\s+(\d+) kB/m)?.[1] ?? 0) / 1024
      const postgres = readFileSync(`/proc/${pid}/comm`, "utf8").startsWith("postgres")
      return { all: sum.all + pss, postgres: sum.postgres + (postgres ? pss : 0) }
    } catch {
      return sum
    }
  }, { all: 0, postgres: 0 })

const showPss = (pss: { all: number; postgres: number }) => `${pss.all.toFixed(0)} MB (postgres ${pss.postgres.toFixed(0)})`

const admin = async (run: (client: Pg.Client) => Promise<unknown>) => {
  const client = new Pg.Client({ connectionString: url })
  await client.connect()
  try {
    await run(client)
  } finally {
    await client.end()
  }
}

const measure = async (label: string, env: Record<string, string>) => {
  const service: RunningService = await startService({ GENERIC_WEBHOOK_SECRET: secret, LOG_LEVEL: "Warning", DATABASE_POOL_SIZE: process.env.BENCH_POOL_SIZE ?? "40", ...env }, 60_000)
  const idle = pssMegabytes(service.pid)
  const single = await load(service.baseUrl, 32, 1)
  const batch = await load(service.baseUrl, 8, 500)
  await new Promise((r) => setTimeout(r, 2000))
  const loaded = pssMegabytes(service.pid)
  await service.stop()
  console.log(`${label.padEnd(9)} single ${single.perSecond.toFixed(0).padStart(6)}/s (p99 ${single.p99.toFixed(0)} ms)   ` +
    `batch ${batch.perSecond.toFixed(0).padStart(7)} events/s (p99 ${batch.p99.toFixed(0)} ms)   PSS idle ${showPss(idle)}, after ${showPss(loaded)}`)
  return { single: single.perSecond, batch: batch.perSecond, loaded: loaded.all }
}

console.log(`embedded vs server ${runId}: ${rounds} rounds, ${seconds} s per step, 32 connections of single events, 8 of 500-event batches`)
const results: Record<"embedded" | "server", Array<{ single: number; batch: number; loaded: number }>> = { embedded: [], server: [] }
for (let round = 0; round < rounds; round++) {
  results.embedded.push(await measure("embedded", { DATA_DIR: tempDataDir() }))
  const database = `bench_embedded_${runId}_${round}`
  await admin((c) => c.query(`CREATE DATABASE ${database}`))
  const scoped = new URL(url)
  scoped.pathname = `/${database}`
  try {
    results.server.push(await measure("server", { DATA_DIR: tempDataDir(), DATABASE_URL: scoped.toString() }))
  } finally {
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`))
  }
}
const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
for (const key of ["single", "batch"] as const) {
  const ratio = median(results.embedded.map((r) => r[key])) / median(results.server.map((r) => r[key]))
  console.log(`${key}: embedded / server = ${ratio.toFixed(2)}`)
}
console.log(`embedded PSS after load, median: ${median(results.embedded.map((r) => r.loaded)).toFixed(0)} MB`)
