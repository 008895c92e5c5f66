// Ingest throughput: signed generic webhooks in, acknowledged events/s, ack latency, service RSS and
// CPU, then pipeline lag (processed_at - received_at) and applied events/s read from the database.
//
// Each scenario gets its own service process and its own empty database, so the backlog one scenario
// leaves does not slow the next: `single` (one event per webhook) and `batch` (BENCH_BATCH_SIZE per
// webhook) at rising concurrency, each step a closed loop (each of N workers sends, waits for the
// answer, sends again) for BENCH_SECONDS; `paced` sends single-event webhooks at fixed rates (open
// loop), to see the pipeline lag under a load it can follow; `ceiling` runs the same generator
// against a trivial Bun.serve (ingest-echo-server.ts), a bare HttpRouter (ingest-router-server.ts) and the service's
// GET /health and an unknown route; `peer` runs the seeds' reference design and this service in turn.
// After the load steps of a scenario the bench stops sending, waits for the pipeline to apply the
// backlog (at most BENCH_DRAIN_SECONDS), stops the service with SIGTERM and reads ingest_inbox
// directly. Event ids are `<run>.<scenario>.<step>.<n>` (step c8: 8 workers; r100: 100 per second),
// so rows are grouped by step.
//
// Waiting for the backlog: the bench polls GET /admin/inbox (it starts the service with an admin
// key). Without that route it counts unprocessed rows itself on PostgreSQL, and on the embedded
// database (which cannot be opened while the service holds it) waits until the service process is
// idle (under 5% of a core for two consecutive seconds). Either way it reports, after the stop, how
// many rows were still unprocessed.
//
// The load generator is this process (one Bun process, fetch with keep-alive); the service is a
// child process (`bun run start` -> `bun run src/main.ts`). On a 2-core machine they share the
// cores, so the CPU each used is printed next to the figures.
//
// Environment:
//   BENCH_DATABASE_URL       PostgreSQL server URL; a database is created per scenario and dropped after
//   BENCH_SPLIT=true         with PostgreSQL: one process acknowledges (PIPELINE_ENABLED=false), a second applies
//   BENCH_SECONDS            seconds per load step (default 5)
//   BENCH_CONCURRENCY        concurrency steps for single-event webhooks (default 1,8,32,128)
//   BENCH_BATCH_CONCURRENCY  concurrency steps for batched webhooks (default 1,8,32,128)
//   BENCH_BATCH_SIZE         events per batched webhook (default 500)
//   BENCH_DRAIN_SECONDS      longest wait for the pipeline after a scenario (default 60)
//   BENCH_PACED_RATES        events per second offered in the paced (open-loop) steps (default 25,100)
//   BENCH_PACED_BATCH        events per paced webhook (default 1: single-event webhooks)
//   BENCH_TIMEOUT_SECONDS    client timeout per request (default 30)
//   BENCH_SCENARIOS          which of single,batch,paced,ceiling,peer to run (default the first four)
//   BENCH_PEER_DIR           peer: a folder holding ../shared/peers/seed001-express with its npm install done;
//                            the peer scenario runs the single and batch steps against this service and the
//                            peer in turn (BENCH_ROUNDS times, default 2), each on a fresh database of BENCH_DATABASE_URL
//   BENCH_ROUNDS             peer: rounds of service-then-peer
import Pg from "pg"
import { readdirSync, readFileSync, rmSync } from "node:fs"
import { loadavg } from "node:os"
import * as path from "node:path"
import { sign } from "../../src/providers/Generic.js"
import { withDataDir } from "../support/dataDir.js"
import { freePort, startService, tempDataDir } from "../support/service.js"
import { findServicePid, statusField } from "../support/serviceProcess.js"
import type { RunningService } from "../support/service.js"

const numbers = (value: string | undefined, fallback: ReadonlyArray<number>) =>
  value === undefined || value.trim() === "" ? fallback : value.split(",").map((s) => Number(s.trim())).filter((n) => n > 0)

const seconds = Number(process.env.BENCH_SECONDS ?? 5)
const singleSteps = numbers(process.env.BENCH_CONCURRENCY, [1, 8, 32, 128])
const batchSteps = numbers(process.env.BENCH_BATCH_CONCURRENCY, [1, 8, 32, 128])
const batchSize = Number(process.env.BENCH_BATCH_SIZE ?? 500)
const drainSeconds = Number(process.env.BENCH_DRAIN_SECONDS ?? 60)
const pacedRates = numbers(process.env.BENCH_PACED_RATES, [25, 100])
const pacedBatch = Number(process.env.BENCH_PACED_BATCH ?? 1)
const scenarios = (process.env.BENCH_SCENARIOS ?? "single,batch,paced,ceiling").split(",").map((s) => s.trim())
const databaseUrl = process.env.BENCH_DATABASE_URL
const split_ = process.env.BENCH_SPLIT === "true"
const requestTimeoutMs = Number(process.env.BENCH_TIMEOUT_SECONDS ?? 30) * 1000
const secret = "bench-secret"
const adminKey = "bench-admin-key"
const runId = Date.now().toString(36)

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

// ---------------------------------------------------------------------------------------------
// Events: unique ids, 10,000 recipients, 10 messages each, a realistic mix of types.

const recipients = 10_000
const senderAccounts = ["acct-eu-1", "acct-eu-2", "acct-us-1", "acct-us-2", "acct-sms-1"]
const broadcasts = Array.from({ length: 20 }, (_, i) => `bc-${runId}-${i}`)
/** Cumulative weights in per mille: 40% sent, 38% delivered, 12% opened, 6% clicked, the rest rarer. */
const typeMix: ReadonlyArray<readonly [number, string, string]> = [
  [400, "sent", ""],
  [780, "delivered", ""],
  [900, "opened", `,"data":{"ip":"203.0.113.7","userAgent":"Mozilla/5.0 (Macintosh)","machine":false}`],
  [960, "clicked", `,"data":{"ip":"203.0.113.7","userAgent":"Mozilla/5.0 (Macintosh)","url":"https://example.com/offer"}`],
  [975, "deferred", `,"data":{"reason":"451 4.7.1 try again later"}`],
  [990, "bounced", `,"data":{"bounceKind":"hard","reason":"550 5.1.1 user unknown"}`],
  [995, "soft_bounced", `,"data":{"reason":"452 4.2.2 mailbox full"}`],
  [999, "unsubscribed", `,"data":{"category":"marketing"}`],
  [1000, "complained", ""]
]
const pick = <A>(items: ReadonlyArray<A>): A => items[Math.floor(Math.random() * items.length)]!

const eventJson = (id: string) => {
  const roll = Math.floor(Math.random() * 1000)
  const [, type, data] = typeMix.find(([limit]) => roll < limit)!
  const r = Math.floor(Math.random() * recipients)
  const message = `msg-${runId}-${r}-${Math.floor(Math.random() * 10)}`
  const broadcast = Math.random() < 0.7 ? `,"broadcastId":"${pick(broadcasts)}"` : ""
  const timestamp = new Date(Date.now() - Math.floor(Math.random() * 3_600_000)).toISOString()
  return `{"id":"${id}","type":"${type}","timestamp":"${timestamp}","messageId":"${message}","recipient":"user${r}@example.com",` +
    `"senderAccountId":"${senderAccounts[r % senderAccounts.length]}"${broadcast}${data}}`
}

interface Payload {
  readonly body: string
  readonly events: number
}

const payloads = (scenario: string, step: string, eventsPerRequest: number) => {
  let counter = 0
  const prefix = `${runId}.${scenario}.${step}.`
  return (): Payload => {
    if (eventsPerRequest === 1) return { body: eventJson(prefix + counter++), events: 1 }
    const events: Array<string> = []
    for (let i = 0; i < eventsPerRequest; i++) events.push(eventJson(prefix + counter++))
    return { body: `[${events.join(",")}]`, events: eventsPerRequest }
  }
}

/** utime + stime of the process (all its threads), in seconds (assumes the usual 100 ticks/s). */
const cpuSeconds = (pid: number): number => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  return (Number(fields[11]) + Number(fields[12])) / 100
}

const ownCpuSeconds = () => {
  const usage = process.cpuUsage()
  return (usage.user + usage.system) / 1e6
}

// ---------------------------------------------------------------------------------------------
// Load: N workers in a closed loop for a fixed time, or requests launched at a fixed rate (open
// loop). Only 200 answers count as acknowledged, and latency percentiles are over 200 answers.

interface StepResult {
  readonly scenario: string
  readonly load: string
  readonly requests: number
  readonly acknowledged: number
  readonly eventsPerSecond: number
  readonly p50: number
  readonly p99: number
  readonly non200: Map<number, number>
  readonly networkErrors: number
  readonly duplicates: number
  readonly firstFailure: string | undefined
  readonly rssMb: number
  readonly hwmMb: number
  readonly serviceCpu: number
  readonly databaseCpu: number
  readonly generatorCpu: number
}

const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!

/** CPU seconds of every process named postgres (the local server, when the run is against it). */
const postgresCpuSeconds = () => {
  let total = 0
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8")
      if (!stat.includes("(postgres)")) continue
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
      total += (Number(fields[11]) + Number(fields[12])) / 100
    } catch {
      // the process ended meanwhile
    }
  }
  return total
}

interface StepOptions {
  readonly scenario: string
  readonly url: string
  readonly method: "GET" | "POST"
  readonly next: () => Payload
  readonly servicePid: number | undefined
  /** The status that counts as success (200 unless given). */
  readonly expect?: number
  /** Closed loop with this many workers, or open loop at this many requests per second. */
  readonly mode: { readonly concurrency: number } | { readonly rate: number }
}

const runStep = async (options: StepOptions): Promise<StepResult> => {
  const latencies: Array<number> = []
  const non200 = new Map<number, number>()
  let requests = 0
  let acknowledged = 0
  let duplicates = 0
  let networkErrors = 0
  let firstFailure: string | undefined
  const pid = options.servicePid
  const cpuBefore = pid === undefined ? 0 : cpuSeconds(pid)
  const databaseBefore = databaseUrl === undefined ? 0 : postgresCpuSeconds()
  const ownBefore = ownCpuSeconds()
  const started = performance.now()
  const deadline = started + seconds * 1000

  const send = async () => {
    const payload = options.method === "POST" ? options.next() : undefined
    const init: RequestInit = payload === undefined
      ? { signal: AbortSignal.timeout(requestTimeoutMs) }
      : {
        method: "POST",
        body: payload.body,
        headers: { "content-type": "application/json", "x-webhook-signature": `sha256=${sign(secret, payload.body)}` },
        signal: AbortSignal.timeout(requestTimeoutMs)
      }
    const sent = performance.now()
    requests++
    try {
      const response = await fetch(options.url, init)
      const text = await response.text()
      if (response.status === (options.expect ?? 200)) {
        latencies.push(performance.now() - sent)
        if (payload === undefined) acknowledged++
        else {
          // The peer answers a bare "OK": every event it was sent counts.
          const answer = (text.startsWith("{") ? JSON.parse(text) : { accepted: payload.events }) as { accepted?: number; duplicates?: number }
          acknowledged += answer.accepted ?? 0
          duplicates += answer.duplicates ?? 0
        }
      } else {
        non200.set(response.status, (non200.get(response.status) ?? 0) + 1)
        firstFailure ??= `${response.status} ${text.slice(0, 300)}`
      }
    } catch (error) {
      networkErrors++
      firstFailure ??= `network: ${error instanceof Error ? error.message : String(error)}`
    }
  }

  const { mode } = options
  if ("concurrency" in mode) {
    const worker = async () => {
      while (performance.now() < deadline) await send()
    }
    await Promise.all(Array.from({ length: mode.concurrency }, worker))
  } else {
    // Open loop: launch what is due every few ms, whatever the answers do (at most 1,024 in flight).
    const inFlight = new Set<Promise<void>>()
    let launched = 0
    while (performance.now() < deadline) {
      const due = Math.floor(((performance.now() - started) / 1000) * mode.rate)
      while (launched < due && inFlight.size < 1024) {
        launched++
        const request: Promise<void> = send().finally(() => inFlight.delete(request))
        inFlight.add(request)
      }
      await sleep(2)
    }
    await Promise.all(inFlight)
  }
  const elapsed = (performance.now() - started) / 1000
  latencies.sort((a, b) => a - b)
  return {
    scenario: options.scenario,
    load: "concurrency" in mode ? String(mode.concurrency) : `${mode.rate}/s`,
    requests,
    acknowledged,
    eventsPerSecond: acknowledged / elapsed,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    non200,
    networkErrors,
    duplicates,
    firstFailure,
    rssMb: pid === undefined ? Number.NaN : statusField(pid, "VmRSS"),
    hwmMb: pid === undefined ? Number.NaN : statusField(pid, "VmHWM"),
    serviceCpu: pid === undefined ? Number.NaN : (cpuSeconds(pid) - cpuBefore) / elapsed,
    databaseCpu: databaseUrl === undefined ? Number.NaN : (postgresCpuSeconds() - databaseBefore) / elapsed,
    generatorCpu: (ownCpuSeconds() - ownBefore) / elapsed
  }
}

// ---------------------------------------------------------------------------------------------
// Databases: a fresh PostgreSQL database per scenario, or a fresh embedded data folder.

const postgres = databaseUrl === undefined ? undefined : new URL(databaseUrl)

const psql = (sql: string) => {
  if (postgres === undefined) return
  const result = Bun.spawnSync(
    ["psql", "-h", postgres.hostname, "-p", postgres.port || "5432", "-U", decodeURIComponent(postgres.username || "postgres"),
      "-d", postgres.pathname.slice(1) || "postgres", "-v", "ON_ERROR_STOP=1", "-qc", sql],
    { env: { ...process.env, PGPASSWORD: decodeURIComponent(postgres.password) } }
  )
  if (result.exitCode !== 0) throw new Error(`psql failed: ${sql}\n${result.stderr.toString()}`)
}

const databaseFor = (name: string) => {
  if (postgres === undefined) return undefined
  const url = new URL(postgres.href)
  url.pathname = `/${name}`
  return url.href
}

interface LagRow {
  readonly step: string
  readonly rows: number
  readonly processed: number
  readonly p50: number | null
  readonly p99: number | null
  readonly max: number | null
  readonly window: number | null
}

interface Outcome {
  readonly lag: ReadonlyArray<LagRow>
  readonly deliveryEvents: number
  readonly deliveries: number
  readonly deadLetters: number
  readonly failedAttempts: number
}

const lagQuery = `
  SELECT coalesce(split_part(provider_event_id, '.', 3), 'all') AS step,
    count(*)::int AS rows,
    count(processed_at)::int AS processed,
    (percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM processed_at - received_at)) * 1000)::float8 AS p50,
    (percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM processed_at - received_at)) * 1000)::float8 AS p99,
    (max(extract(epoch FROM processed_at - received_at)) * 1000)::float8 AS max,
    extract(epoch FROM max(processed_at) - min(received_at))::float8 AS window
  FROM ingest_inbox WHERE provider = 'generic'
  GROUP BY ROLLUP (split_part(provider_event_id, '.', 3))
  ORDER BY grouping(split_part(provider_event_id, '.', 3)), min(id)`
const countQueries = {
  deliveryEvents: "SELECT count(*)::int AS n FROM delivery_events",
  deliveries: "SELECT count(*)::int AS n FROM deliveries",
  deadLetters: "SELECT count(*)::int AS n FROM dead_letters",
  failedAttempts: "SELECT coalesce(sum(attempts), 0)::int AS n FROM ingest_inbox"
}

const readOutcome = async (query: <R>(sql: string) => Promise<ReadonlyArray<R>>): Promise<Outcome> => {
  const count = async (sql: string) => (await query<{ n: number }>(sql))[0]?.n ?? 0
  return {
    lag: await query<LagRow>(lagQuery),
    deliveryEvents: await count(countQueries.deliveryEvents),
    deliveries: await count(countQueries.deliveries),
    deadLetters: await count(countQueries.deadLetters),
    failedAttempts: await count(countQueries.failedAttempts)
  }
}

const withPostgres = async <A>(url: string, use: (client: Pg.Client) => Promise<A>): Promise<A> => {
  const client = new Pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await use(client)
  } finally {
    await client.end()
  }
}

const outcomeFromPostgres = (url: string) =>
  withPostgres(url, (client) => readOutcome(async <R>(sql: string) => (await client.query(sql)).rows as ReadonlyArray<R>))

const outcomeFromEmbedded = (dataDir: string) =>
  withDataDir(dataDir, (client) => readOutcome(async <R>(sql: string) => (await client.query(sql)).rows as ReadonlyArray<R>))

/**
 * Waits until the backlog is applied or the time is up: polls GET /admin/inbox when the service has
 * it; otherwise counts unprocessed rows over its own connection (PostgreSQL) or waits until the
 * service process is idle (embedded: the folder cannot be opened while the service holds it).
 */
const waitForPipeline = async (baseUrl: string, servicePid: number, url: string | undefined): Promise<{ seconds: number; how: string }> => {
  const started = performance.now()
  const deadline = started + drainSeconds * 1000
  const took = () => (performance.now() - started) / 1000
  const gaveUp = () => ({ seconds: took(), how: `gave up after ${drainSeconds} s` })
  const pendingFromService = async (): Promise<number | undefined> => {
    const response = await fetch(`${baseUrl}/admin/inbox`, { headers: { authorization: `Bearer ${adminKey}` } }).catch(() => undefined)
    if (response?.status !== 200) return undefined
    const body = (await response.json()) as { pending?: unknown }
    return typeof body.pending === "number" ? body.pending : undefined
  }
  if ((await pendingFromService()) !== undefined) {
    while (performance.now() < deadline) {
      if ((await pendingFromService()) === 0) return { seconds: took(), how: "GET /admin/inbox: nothing pending" }
      await sleep(1000)
    }
    return gaveUp()
  }
  if (url !== undefined) {
    return withPostgres(url, async (client) => {
      while (performance.now() < deadline) {
        const rows = (await client.query<{ n: number }>("SELECT count(*)::int AS n FROM ingest_inbox WHERE processed_at IS NULL")).rows
        if ((rows[0]?.n ?? 0) === 0) return { seconds: took(), how: "no unprocessed rows" }
        await sleep(1000)
      }
      return gaveUp()
    })
  }
  let quiet = 0
  let before = cpuSeconds(servicePid)
  while (performance.now() < deadline) {
    await sleep(1000)
    const now = cpuSeconds(servicePid)
    quiet = now - before < 0.05 ? quiet + 1 : 0
    before = now
    if (quiet >= 2) return { seconds: took(), how: "service idle" }
  }
  return gaveUp()
}

const stopService = async (service: RunningService) => {
  const code = await Promise.race([service.stop("SIGTERM"), sleep(30_000).then(() => "timeout" as const)])
  if (code !== "timeout") return `exit ${code}`
  await service.stop("SIGKILL")
  return "did not exit within 30 s of SIGTERM: killed"
}

/** The reference design (../shared/peers/seed001-express) and this service, in turn, same steps, same generator. */
const runPeer = async () => {
  const peerDir = process.env.BENCH_PEER_DIR
  if (peerDir === undefined || databaseUrl === undefined) throw new Error("the peer scenario needs BENCH_PEER_DIR and BENCH_DATABASE_URL")
  const rounds = Number(process.env.BENCH_ROUNDS ?? 2)
  const results: Array<StepResult & { readonly target: string }> = []
  const steps = [
    ...singleSteps.map((n) => ({ id: `c${n}`, kind: "single", events: 1, concurrency: n })),
    ...batchSteps.map((n) => ({ id: `b${n}`, kind: `batch of ${batchSize}`, events: batchSize, concurrency: n }))
  ]
  for (let round = 1; round <= rounds; round++) {
    for (const target of ["sendtrail", "peer"] as const) {
      const dbName = `sendtrail_bench_${runId}_${target}_${round}`
      psql(`CREATE DATABASE ${dbName}`)
      const url = databaseFor(dbName)!
      const port = await freePort()
      const dataDir = tempDataDir()
      const started = target === "peer"
        ? { process: Bun.spawn(["node", "server.mjs"], { cwd: peerDir, env: { ...process.env, DATABASE_URL: url, GENERIC_WEBHOOK_SECRET: secret, PORT: String(port) }, stdout: "ignore", stderr: "inherit" }), baseUrl: `http://127.0.0.1:${port}` }
        : await startService({ DATA_DIR: dataDir, LOG_LEVEL: "Warning", GENERIC_WEBHOOK_SECRET: secret, INBOX_MAX_BACKLOG: "5000000", DATABASE_URL: url }, 60_000)
      try {
        const deadline = Date.now() + 20_000
        while (!(await fetch(`${started.baseUrl}/health`).then((r) => r.ok, () => false))) {
          if (Date.now() > deadline) throw new Error(`${target} did not start`)
          await sleep(100)
        }
        const pid = "process" in started ? started.process.pid : findServicePid()
        for (const step of steps) {
          const result = await runStep({
            scenario: `${target} ${step.kind}`, url: `${started.baseUrl}/connect/webhook/generic`, method: "POST",
            next: payloads(`${target}${round}`, step.id, step.events), servicePid: pid, mode: { concurrency: step.concurrency }
          })
          console.error(`  round ${round} ${target} ${step.kind} c${step.concurrency}: ${thousands(result.eventsPerSecond)} events/s, p99 ${fixed(result.p99, 1)} ms`)
          results.push({ ...result, target })
        }
      } finally {
        if ("process" in started) {
          started.process.kill("SIGTERM")
          await started.process.exited
        } else await stopService(started)
        rmSync(dataDir, { recursive: true, force: true })
        psql(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)
      }
    }
  }
  console.log(`\n### Side by side with the peer (${rounds} rounds, service then peer, ${seconds} s per step)\n`)
  printSteps(results)
  const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN
  console.log("\n| step | sendtrail events/s (median) | peer events/s (median) | ratio |\n|---|---:|---:|---:|")
  for (const step of steps) {
    const of = (target: string) => median(results.filter((r) => r.target === target && r.scenario === `${target} ${step.kind}` && r.load === String(step.concurrency)).map((r) => r.eventsPerSecond))
    console.log(`| ${step.kind} c${step.concurrency} | ${thousands(of("sendtrail"))} | ${thousands(of("peer"))} | ${fixed(of("sendtrail") / of("peer"), 2)} |`)
  }
}

// ---------------------------------------------------------------------------------------------
// Output

const fixed = (n: number | null, digits = 0) => n === null || Number.isNaN(n) ? "-" : n.toFixed(digits)
const thousands = (n: number) => Number.isNaN(n) ? "-" : Math.round(n).toLocaleString("en-US")
const failures = (step: StepResult) => {
  const parts = [...step.non200].map(([status, n]) => `${n}x${status}`)
  if (step.networkErrors > 0) parts.push(`${step.networkErrors}x timeout/network`)
  return parts.length === 0 ? "0" : parts.join(" ")
}

const printSteps = (steps: ReadonlyArray<StepResult>) => {
  const database = databaseUrl !== undefined
  console.log(`| scenario | load | requests | events/s acked | ack p50 ms | ack p99 ms | non-200 | service RSS (peak) MB | service CPU |` +
    `${database ? " postgres CPU |" : ""} generator CPU |`)
  console.log(`|---|---:|---:|---:|---:|---:|---|---:|---:|${database ? "---:|" : ""}---:|`)
  for (const s of steps) {
    console.log(`| ${s.scenario} | ${s.load} | ${thousands(s.requests)} | ${thousands(s.eventsPerSecond)} | ${fixed(s.p50, 1)} | ` +
      `${fixed(s.p99, 1)} | ${failures(s)} | ${fixed(s.rssMb)} (${fixed(s.hwmMb)}) | ${fixed(s.serviceCpu * 100)}% |` +
      `${database ? ` ${fixed(s.databaseCpu * 100)}% |` : ""} ${fixed(s.generatorCpu * 100)}% |`)
  }
  for (const s of steps) {
    if (s.firstFailure !== undefined) console.log(`  ${s.scenario} ${s.load} first failure: ${s.firstFailure}`)
    if (s.duplicates > 0) console.log(`  ${s.scenario} ${s.load}: ${s.duplicates} events answered as duplicates (all ids are unique)`)
  }
}

const printOutcome = (scenario: string, steps: ReadonlyArray<StepResult>, outcome: Outcome) => {
  console.log(`| ${scenario} step | inbox rows | processed | lag p50 ms | lag p99 ms | lag max ms | applied events/s |`)
  console.log("|---|---:|---:|---:|---:|---:|---:|")
  for (const row of outcome.lag) {
    const applied = row.window === null || row.window <= 0 ? Number.NaN : row.processed / row.window
    console.log(`| ${row.step} | ${thousands(row.rows)} | ${thousands(row.processed)} | ${fixed(row.p50)} | ${fixed(row.p99)} | ` +
      `${fixed(row.max)} | ${row.step === "all" ? thousands(applied) : ""} |`)
  }
  const total = outcome.lag.find((row) => row.step === "all")
  const acked = steps.reduce((sum, s) => sum + s.acknowledged, 0)
  console.log(`  acknowledged ${thousands(acked)} events, inbox holds ${thousands(total?.rows ?? 0)}, ` +
    `unprocessed at stop ${thousands((total?.rows ?? 0) - (total?.processed ?? 0))}, delivery_events ${thousands(outcome.deliveryEvents)}, ` +
    `deliveries ${thousands(outcome.deliveries)}, dead letters ${outcome.deadLetters}, failed attempts ${outcome.failedAttempts}`)
  console.log("  (lag = processed_at - received_at of each inbox row; applied events/s = processed rows / " +
    "(max(processed_at) - min(received_at)) over the scenario)")
}

// ---------------------------------------------------------------------------------------------
// Scenarios

interface Step {
  /** The middle part of the event ids, to group inbox rows by step: c8, r100. */
  readonly id: string
  readonly mode: StepOptions["mode"]
}

const runScenario = async (scenario: string, steps: ReadonlyArray<Step>, eventsPerRequest: number) => {
  const dbName = `sendtrail_bench_${runId}_${scenario}`
  const url = databaseFor(dbName)
  const dataDir = tempDataDir()
  if (url !== undefined) psql(`CREATE DATABASE ${dbName}`)
  try {
    const env = {
      DATA_DIR: dataDir,
      LOG_LEVEL: "Warning",
      GENERIC_WEBHOOK_SECRET: secret,
      ADMIN_API_KEY: adminKey,
      INBOX_MAX_BACKLOG: "5000000",
      ...(url === undefined ? {} : { DATABASE_URL: url })
    }
    // BENCH_SPLIT=true (PostgreSQL only): this service only acknowledges; a second process applies.
    const split = split_ && url !== undefined
    const service = await startService({ ...env, ...(split ? { PIPELINE_ENABLED: "false" } : {}) }, 60_000)
    const results: Array<StepResult> = []
    let drained = { seconds: 0, how: "" }
    let stopped = ""
    let idleRss = Number.NaN
    let applier: Awaited<ReturnType<typeof startService>> | undefined
    try {
      const servicePid = findServicePid()
      idleRss = statusField(servicePid, "VmRSS")
      if (split) applier = await startService({ ...env, DATA_DIR: tempDataDir() }, 60_000)
      const webhook = `${service.baseUrl}/connect/webhook/generic`
      for (const step of steps) {
        const result = await runStep({
          scenario, url: webhook, method: "POST", next: payloads(scenario, step.id, eventsPerRequest), servicePid, mode: step.mode
        })
        results.push(result)
        console.error(`  ${scenario} ${step.id}: ${thousands(result.eventsPerSecond)} events/s, p99 ${fixed(result.p99, 1)} ms, ` +
          `non-200 ${failures(result)}`)
      }
      console.error(`  ${scenario}: waiting for the pipeline (at most ${drainSeconds} s)`)
      drained = await waitForPipeline(service.baseUrl, servicePid, url)
    } finally {
      if (applier !== undefined) await stopService(applier)
      stopped = await stopService(service)
    }
    const outcome = url === undefined ? await outcomeFromEmbedded(dataDir) : await outcomeFromPostgres(url)
    rmSync(dataDir, { recursive: true, force: true })
    console.log(`\n### ${scenario} (${eventsPerRequest} event${eventsPerRequest === 1 ? "" : "s"} per request), ` +
      `${url === undefined ? "embedded PostgreSQL" : "PostgreSQL"}, ${seconds} s per step\n`)
    printSteps(results)
    console.log("")
    printOutcome(scenario, results, outcome)
    console.log(`  service RSS before the load: ${fixed(idleRss)} MB; pipeline wait after the load: ${drained.seconds.toFixed(1)} s ` +
      `(${drained.how}); service stop: ${stopped}`)
    const log = service.output().trim().split("\n").filter((line) => line !== "" && !line.startsWith("$ bun run"))
    if (log.length > 0) {
      console.log(`  service output (${log.length} lines, first 12):`)
      for (const line of log.slice(0, 12)) console.log(`    ${line.slice(0, 400)}`)
    }
  } finally {
    if (url !== undefined) psql(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)
  }
}

/** The same generator against a trivial Bun.serve, a bare HttpRouter, and the service's GET /health and a 404. */
const runCeiling = async () => {
  const concurrency = singleSteps.at(-1) ?? 128
  const port = await freePort()
  const echo = Bun.spawn([process.execPath, path.join(import.meta.dirname, "ingest-echo-server.ts")], {
    env: { ...process.env, PORT: String(port) },
    stdout: "ignore",
    stderr: "inherit"
  })
  const results: Array<StepResult> = []
  try {
    const deadline = Date.now() + 10_000
    while (!(await fetch(`http://127.0.0.1:${port}/`).then((r) => r.ok, () => false))) {
      if (Date.now() > deadline) throw new Error("the echo server did not start")
      await sleep(100)
    }
    const echoUrl = `http://127.0.0.1:${port}/`
    results.push(await runStep({
      scenario: "trivial Bun.serve, POST 1 event", url: echoUrl, method: "POST",
      next: payloads("echo", "single", 1), servicePid: echo.pid, mode: { concurrency }
    }))
    results.push(await runStep({
      scenario: `trivial Bun.serve, POST ${batchSize} events`, url: echoUrl, method: "POST",
      next: payloads("echo", "batch", batchSize), servicePid: echo.pid, mode: { concurrency: Math.min(concurrency, 32) }
    }))
  } finally {
    echo.kill("SIGTERM")
    await echo.exited
  }
  // The same generator against a bare HttpRouter: the yardstick of the service's GET rows below.
  const routerPort = await freePort()
  const router = Bun.spawn([process.execPath, path.join(import.meta.dirname, "ingest-router-server.ts")], {
    env: { ...process.env, PORT: String(routerPort) }, stdout: "ignore", stderr: "inherit"
  })
  try {
    const deadline = Date.now() + 10_000
    while (!(await fetch(`http://127.0.0.1:${routerPort}/health`).then((r) => r.ok, () => false))) {
      if (Date.now() > deadline) throw new Error("the bare router did not start")
      await sleep(100)
    }
    for (const [what, route, expect] of [["GET /health", "health", 200], ["GET /no-such-route (404)", "no-such-route", 404]] as const) {
      results.push(await runStep({
        scenario: `bare HttpRouter ${what}`, url: `http://127.0.0.1:${routerPort}/${route}`, method: "GET",
        next: payloads("router", "get", 1), servicePid: router.pid, mode: { concurrency }, expect
      }))
    }
  } finally {
    router.kill("SIGTERM")
    await router.exited
  }
  const dbName = `sendtrail_bench_${runId}_health`
  const url = databaseFor(dbName)
  if (url !== undefined) psql(`CREATE DATABASE ${dbName}`)
  try {
    const dataDir = tempDataDir()
    const service = await startService({
      DATA_DIR: dataDir, LOG_LEVEL: "Warning", ...(url === undefined ? {} : { DATABASE_URL: url })
    }, 60_000)
    try {
      const servicePid = findServicePid()
      results.push(await runStep({
        scenario: "service GET /health (one SELECT 1 a second)", url: `${service.baseUrl}/health`, method: "GET",
        next: payloads("health", "get", 1), servicePid, mode: { concurrency }
      }))
      results.push(await runStep({
        scenario: "service GET /no-such-route (404, no database)", url: `${service.baseUrl}/no-such-route`, method: "GET",
        next: payloads("health", "get", 1), servicePid, mode: { concurrency }, expect: 404
      }))
    } finally {
      await stopService(service)
      rmSync(dataDir, { recursive: true, force: true })
    }
  } finally {
    if (url !== undefined) psql(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)
  }
  console.log(`\n### HTTP ceiling: the same generator, ${seconds} s per step ("events/s" of the echo server counts events ` +
    `in its answers; of the GET rows, answers with the expected status)\n`)
  printSteps(results)
}

const closed = (steps: ReadonlyArray<number>): ReadonlyArray<Step> => steps.map((n) => ({ id: `c${n}`, mode: { concurrency: n } }))

const load = () => loadavg().map((n) => n.toFixed(2)).join(" ")
/** Which code was measured: the commit, and how many files under src/ differ from it (read-only git). */
const revision = () => {
  const git = (...args: Array<string>) => Bun.spawnSync(["git", ...args], { cwd: path.resolve(import.meta.dirname, "../..") }).stdout.toString().trim()
  const changed = git("status", "--porcelain", "--", "src").split("\n").filter((line) => line !== "").length
  return `${git("rev-parse", "--short", "HEAD")}${changed > 0 ? ` with ${changed} changed file(s) under src/` : ""}`
}
console.log(`code: ${revision()}; load average before: ${load()}`)
console.log(`ingest benchmark ${runId}: ${postgres === undefined ? "embedded PostgreSQL" : `PostgreSQL ${postgres.host}`}, ` +
  `${seconds} s per step, single ${singleSteps.join("/")}, batch of ${batchSize} ${batchSteps.join("/")}, ` +
  `paced ${pacedRates.join("/")} events/s in webhooks of ${pacedBatch}, drain <= ${drainSeconds} s`)
if (scenarios.includes("single")) await runScenario("single", closed(singleSteps), 1)
if (scenarios.includes("batch")) await runScenario("batch", closed(batchSteps), batchSize)
if (scenarios.includes("paced") && pacedRates.length > 0) {
  await runScenario("paced", pacedRates.map((rate) => ({ id: `r${rate}`, mode: { rate: rate / pacedBatch } })), pacedBatch)
}
if (scenarios.includes("ceiling")) await runCeiling()
if (scenarios.includes("peer")) await runPeer()
console.log(`\ncode: ${revision()}; load average after: ${load()}`)
