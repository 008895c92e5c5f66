// Read endpoints over a large seeded history: a report page (status filter, deep cursor), the stats
// time series over a year by day, the 30-day summary and the deliverability health check, and the
// dashboard's other reads (broadcast list, one broadcast, a channel's month, a recipient search).
//
// Steps: a fresh database (PostgreSQL: CREATE DATABASE sendtrail_bench_reports_<id>, dropped after;
// embedded: a new data folder), the service started once so its migrations run, then stopped; the
// data seeded in SQL with generate_series (deliveries, about five delivery_events each, rollup_daily
// and rollup_broadcast computed from those rows, sender accounts); the service started again with
// JWT_SECRET, and each endpoint timed one request at a time (keep-alive, 127.0.0.1 only) after a
// warm-up. Only 200 answers count; any other answer is reported and fails the run.
//
// The seed: one org, 100 broadcasts spread over the last year (each a contiguous block of delivery
// ids), 90% email, 6% sms, 3% whatsapp, 1% push, 5 sender accounts. Status mix: 45% delivered, 30%
// opened, 12% clicked, 4% sent, 5% bounced, 2% failed, 1.5% unsubscribed, 0.5% complained; one
// broadcast (bench-bc-042) went to a bad list: 25% bounced and 15% failed, so a bounced,failed
// filter has a few thousand rows to page through. Every delivery has exactly five events
// (queued, sending, sent, deferred, delivered, opened, clicked, … depending on its status).
//
// Environment:
//   BENCH_DATABASE_URL          PostgreSQL server URL (maintenance database); embedded PostgreSQL without it
//   BENCH_SCALE                 fraction of 1,000,000 deliveries (default 1 on PostgreSQL, 0.02 embedded)
//   BENCH_REQUESTS              timed requests per endpoint (default 200)
//   BENCH_WARMUP                untimed requests per endpoint first (default 20)
//   BENCH_SEED_TIMEOUT_SECONDS  longest a seeding statement may run (default 900)
import { Effect, Exit, Redacted, Scope } from "effect"
import * as EmbeddedPostgres from "../../src/storage/EmbeddedPostgres.js"
import { SignJWT } from "jose"
import Pg from "pg"
import { spawnSync } from "node:child_process"
import { rmSync } from "node:fs"
import { cpus, loadavg, totalmem } from "node:os"
import * as path from "node:path"
import { startService, tempDataDir } from "../support/service.js"
import type { RunningService } from "../support/service.js"

const databaseUrl = process.env.BENCH_DATABASE_URL
const scale = Number(process.env.BENCH_SCALE ?? (databaseUrl === undefined ? 0.02 : 1))
const requests = Number(process.env.BENCH_REQUESTS ?? 200)
const warmup = Number(process.env.BENCH_WARMUP ?? 20)
const seedTimeoutSeconds = Number(process.env.BENCH_SEED_TIMEOUT_SECONDS ?? 900)
const requestTimeoutMs = 10_000
const runId = Date.now().toString(36)
const org = "bench-org"
const jwtSecret = "bench-reports-jwt-secret"
const broadcastCount = 100
const badBroadcast = 42
const deliveries = Math.max(broadcastCount, Math.round(1_000_000 * scale))
const perBroadcast = Math.ceil(deliveries / broadcastCount)
const broadcastId = (b: number) => `bench-bc-${String(b).padStart(3, "0")}`

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

// ---------------------------------------------------------------------------------------------
// Databases

const postgres = databaseUrl === undefined ? undefined : new URL(databaseUrl)
const dbName = `sendtrail_bench_reports_${runId}`

const psql = (sql: string) => {
  if (postgres === undefined) return
  const result = spawnSync(
    "psql",
    ["-h", postgres.hostname, "-p", postgres.port || "5432", "-U", decodeURIComponent(postgres.username || "postgres"),
      "-d", postgres.pathname.slice(1) || "postgres", "-v", "ON_ERROR_STOP=1", "-qc", sql],
    { env: { ...process.env, PGPASSWORD: decodeURIComponent(postgres.password) }, timeout: 60_000 }
  )
  if (result.status !== 0) throw new Error(`psql failed: ${sql}\n${result.stderr?.toString() ?? ""}`)
}

const databaseFor = (name: string) => {
  if (postgres === undefined) return undefined
  const url = new URL(postgres.href)
  url.pathname = `/${name}`
  return url.href
}

interface Session {
  readonly exec: (sql: string) => Promise<void>
  readonly query: <R>(sql: string) => Promise<ReadonlyArray<R>>
  readonly close: () => Promise<void>
}

const openSession = async (url: string | undefined, dataDir: string): Promise<Session> => {
  if (url !== undefined) {
    const client = new Pg.Client({ connectionString: url })
    await client.connect()
    await client.query(`SET statement_timeout = '${seedTimeoutSeconds}s'`)
    return {
      exec: async (sql) => void (await client.query(sql)),
      query: async <R>(sql: string) => (await client.query(sql)).rows as ReadonlyArray<R>,
      close: () => client.end()
    }
  }
  // The service is stopped: its folder's embedded server runs for this session only.
  const scope = Effect.runSync(Scope.make())
  const server = await Effect.runPromise(Scope.extend(EmbeddedPostgres.start({ dataDir }), scope))
  const client = new Pg.Client({ connectionString: Redacted.value(EmbeddedPostgres.urlOf(server)) })
  await client.connect()
  return {
    exec: async (sql) => void (await client.query(sql)),
    query: async <R>(sql: string) => (await client.query(sql)).rows as ReadonlyArray<R>,
    close: () => client.end().then(() => Effect.runPromise(Scope.close(scope, Exit.void)))
  }
}

// ---------------------------------------------------------------------------------------------
// Seed, in SQL. Times are UTC; random() is seeded so two runs seed the same rows.

const statusArrays = `CASE d.status
  WHEN 'sent' THEN ARRAY['queued','sending','sent','deferred','deferred']
  WHEN 'delivered' THEN ARRAY['queued','sending','sent','deferred','delivered']
  WHEN 'opened' THEN ARRAY['queued','sending','sent','delivered','opened']
  WHEN 'clicked' THEN ARRAY['queued','sent','delivered','opened','clicked']
  WHEN 'bounced' THEN ARRAY['queued','sending','sent','deferred','bounced']
  WHEN 'failed' THEN ARRAY['queued','sending','deferred','deferred','failed']
  WHEN 'unsubscribed' THEN ARRAY['queued','sent','delivered','opened','unsubscribed']
  ELSE ARRAY['queued','sent','delivered','opened','complained'] END`

const counterColumns = "sent, delivered, opened, opened_total, opened_human, clicked, clicked_total, clicked_human, " +
  "bounced, soft_bounced, complained, unsubscribed, failed, delivery_ms_total, delivery_ms_count"
const counterSums = `count(*) FILTER (WHERE e.type = 'sent'), count(*) FILTER (WHERE e.type = 'delivered'),
  count(DISTINCT e.delivery_id) FILTER (WHERE e.type = 'opened'), count(*) FILTER (WHERE e.type = 'opened'),
  count(*) FILTER (WHERE e.type = 'opened'),
  count(DISTINCT e.delivery_id) FILTER (WHERE e.type = 'clicked'), count(*) FILTER (WHERE e.type = 'clicked'),
  count(*) FILTER (WHERE e.type = 'clicked'),
  count(*) FILTER (WHERE e.type = 'bounced'), count(*) FILTER (WHERE e.type = 'soft_bounced'),
  count(*) FILTER (WHERE e.type = 'complained'), count(*) FILTER (WHERE e.type = 'unsubscribed'),
  count(*) FILTER (WHERE e.type = 'failed'),
  coalesce(sum((extract(epoch FROM d.delivered_at - d.sent_at) * 1000)::bigint) FILTER (WHERE e.type = 'delivered' AND d.sent_at IS NOT NULL), 0),
  count(*) FILTER (WHERE e.type = 'delivered' AND d.sent_at IS NOT NULL)`

const seedSteps: ReadonlyArray<readonly [string, string]> = [
  ["broadcasts", `
    INSERT INTO broadcasts (id, org_id, name, category, channels, created_at)
    SELECT 'bench-bc-' || lpad(b::text, 3, '0'), '${org}', 'Broadcast ' || b, 'marketing', '{email,sms,whatsapp,push}',
      date_trunc('minute', now()) - interval '365 days' + b * interval '87 hours'
    FROM generate_series(0, ${broadcastCount - 1}) b`],
  ["deliveries", `
    SELECT setseed(0.42);
    INSERT INTO deliveries (org_id, broadcast_id, contact_id, recipient, channel, status, provider, provider_message_id,
      sender_account_id, error_reason, queued_at, sent_at, delivered_at, opened_at, clicked_at, failed_at, bounced_at,
      unsubscribed_at, complained_at, created_at, updated_at)
    SELECT '${org}', 'bench-bc-' || lpad(b::text, 3, '0'), 'contact-' || (g % 200000), 'user' || g || '@example.com',
      channel, status, 'generic', 'msg-' || g, 'bench-acct-' || (g % 5),
      CASE status WHEN 'bounced' THEN '550 5.1.1 user unknown' WHEN 'failed' THEN 'invalid recipient' END,
      t0,
      CASE WHEN status <> 'failed' THEN t0 + interval '2 seconds' END,
      CASE WHEN status IN ('delivered','opened','clicked','unsubscribed','complained') THEN t0 + interval '2 seconds' + r2 * interval '30 seconds' END,
      CASE WHEN status IN ('opened','clicked','unsubscribed','complained') THEN t0 + interval '1 minute' + r2 * interval '6 hours' END,
      CASE WHEN status = 'clicked' THEN t0 + interval '3 minutes' + r2 * interval '6 hours' END,
      CASE WHEN status = 'failed' THEN t0 + interval '20 seconds' END,
      CASE WHEN status = 'bounced' THEN t0 + interval '20 seconds' END,
      CASE WHEN status = 'unsubscribed' THEN t0 + interval '6 minutes' + r2 * interval '6 hours' END,
      CASE WHEN status = 'complained' THEN t0 + interval '11 minutes' + r2 * interval '6 hours' END,
      t0, t0 + interval '1 minute' + r2 * interval '6 hours' + interval '15 minutes'
    FROM (
      SELECT g, b, r2,
        date_trunc('minute', now()) - interval '365 days' + b * interval '87 hours' + (g % 7200) * interval '1 second' AS t0,
        CASE WHEN rc < 0.90 THEN 'email' WHEN rc < 0.96 THEN 'sms' WHEN rc < 0.99 THEN 'whatsapp' ELSE 'push' END AS channel,
        CASE
          WHEN b = ${badBroadcast} AND r < 0.25 THEN 'bounced'
          WHEN b = ${badBroadcast} AND r < 0.40 THEN 'failed'
          WHEN b = ${badBroadcast} THEN 'delivered'
          WHEN r < 0.45 THEN 'delivered' WHEN r < 0.75 THEN 'opened' WHEN r < 0.87 THEN 'clicked' WHEN r < 0.91 THEN 'sent'
          WHEN r < 0.96 THEN 'bounced' WHEN r < 0.98 THEN 'failed' WHEN r < 0.995 THEN 'unsubscribed' ELSE 'complained'
        END AS status
      FROM (
        SELECT g, (g - 1) / ${perBroadcast} AS b, random() AS r, random() AS r2, random() AS rc
        FROM generate_series(1, ${deliveries}) g
      ) raw
    ) x
    ORDER BY g`],
  ["delivery_events", `
    INSERT INTO delivery_events (delivery_id, org_id, type, occurred_at, received_at, provider, provider_event_name, provider_event_id, details)
    SELECT id, org_id, type, at, at + interval '1 second', 'generic', type, 'bench-' || id || '-' || k, details
    FROM (
      SELECT d.id, d.org_id, e.type, e.k,
        CASE e.type
          WHEN 'queued' THEN d.queued_at
          WHEN 'sending' THEN d.queued_at + interval '1 second'
          WHEN 'sent' THEN d.sent_at
          WHEN 'deferred' THEN d.queued_at + e.k * interval '3 seconds'
          WHEN 'delivered' THEN d.delivered_at
          WHEN 'opened' THEN d.opened_at
          WHEN 'clicked' THEN d.clicked_at
          WHEN 'bounced' THEN d.bounced_at
          WHEN 'failed' THEN d.failed_at
          WHEN 'unsubscribed' THEN d.unsubscribed_at
          ELSE d.complained_at
        END AS at,
        CASE e.type
          WHEN 'opened' THEN '{"ip":"203.0.113.7","userAgent":"Mozilla/5.0 (Macintosh)","machine":false}'::jsonb
          WHEN 'clicked' THEN '{"ip":"203.0.113.7","userAgent":"Mozilla/5.0 (Macintosh)","url":"https://example.com/offer"}'::jsonb
          WHEN 'bounced' THEN '{"bounceKind":"hard","reason":"550 5.1.1 user unknown","enhancedStatus":"5.1.1"}'::jsonb
          WHEN 'deferred' THEN '{"reason":"451 4.7.1 try again later"}'::jsonb
          WHEN 'unsubscribed' THEN '{"category":"marketing"}'::jsonb
          ELSE '{}'::jsonb
        END AS details
      FROM deliveries d CROSS JOIN LATERAL unnest(${statusArrays}) WITH ORDINALITY AS e(type, k)
    ) x
    ORDER BY id, k`],
  ["rollup_daily", `
    INSERT INTO rollup_daily (org_id, day, channel, ${counterColumns})
    SELECT d.org_id, (e.occurred_at AT TIME ZONE 'UTC')::date, d.channel, ${counterSums}
    FROM delivery_events e JOIN deliveries d ON d.id = e.delivery_id
    GROUP BY 1, 2, 3`],
  ["rollup_broadcast", `
    INSERT INTO rollup_broadcast (broadcast_id, org_id, ${counterColumns})
    SELECT d.broadcast_id, d.org_id, ${counterSums}
    FROM delivery_events e JOIN deliveries d ON d.id = e.delivery_id
    GROUP BY 1, 2`],
  ["sender_accounts", `
    INSERT INTO sender_accounts (id, org_id, sent, delivered, bounced, complained, bounce_rate, complaint_rate)
    SELECT sender_account_id, org_id, sent, delivered, bounced, complained,
      CASE WHEN sent = 0 THEN 0 ELSE bounced::float8 / sent END, CASE WHEN sent = 0 THEN 0 ELSE complained::float8 / sent END
    FROM (
      SELECT sender_account_id, org_id, count(sent_at) AS sent, count(delivered_at) AS delivered,
        count(bounced_at) AS bounced, count(complained_at) AS complained
      FROM deliveries GROUP BY 1, 2
    ) s`],
  ["analyze", "ANALYZE"]
]

const seed = async (session: Session) => {
  const timings: Array<readonly [string, number]> = []
  // Foreign-key triggers off while seeding (the rows are consistent by construction); superuser only.
  await session.exec("SET session_replication_role = replica").catch(() => undefined)
  for (const [name, sql] of seedSteps) {
    const started = performance.now()
    await session.exec(sql)
    const took = (performance.now() - started) / 1000
    timings.push([name, took])
    console.log(`  seeded ${name.padEnd(17)} ${took.toFixed(1).padStart(6)} s`)
  }
  await session.exec("SET session_replication_role = DEFAULT").catch(() => undefined)
  const counts = await session.query<{ name: string; n: number }>(`
    SELECT 'deliveries' AS name, count(*)::int AS n FROM deliveries UNION ALL
    SELECT 'delivery_events', count(*)::int FROM delivery_events UNION ALL
    SELECT 'rollup_daily', count(*)::int FROM rollup_daily UNION ALL
    SELECT 'rollup_broadcast', count(*)::int FROM rollup_broadcast UNION ALL
    SELECT 'sender_accounts', count(*)::int FROM sender_accounts`)
  return { timings, counts }
}

// ---------------------------------------------------------------------------------------------
// Requests

const token = () =>
  new SignJWT({ org, sub: "bench" }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("2h").sign(new TextEncoder().encode(jwtSecret))

interface Timing {
  readonly name: string
  readonly path: string
  readonly p50: number
  readonly p99: number
  readonly max: number
  readonly bytes: number
  readonly items: number | undefined
}

const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!

const get = async (baseUrl: string, path_: string, headers: Record<string, string>) => {
  const response = await fetch(`${baseUrl}${path_}`, { headers, signal: AbortSignal.timeout(requestTimeoutMs) })
  const text = await response.text()
  if (response.status !== 200) throw new Error(`GET ${path_}: ${response.status} ${text.slice(0, 300)}`)
  return text
}

const measure = async (baseUrl: string, headers: Record<string, string>, name: string, path_: string): Promise<Timing> => {
  for (let i = 0; i < warmup; i++) await get(baseUrl, path_, headers)
  const times: Array<number> = []
  let last = ""
  for (let i = 0; i < requests; i++) {
    const started = performance.now()
    last = await get(baseUrl, path_, headers)
    times.push(performance.now() - started)
  }
  times.sort((a, b) => a - b)
  const body = JSON.parse(last) as { items?: ReadonlyArray<unknown>; buckets?: ReadonlyArray<unknown> }
  return {
    name, path: path_, p50: percentile(times, 0.5), p99: percentile(times, 0.99), max: times.at(-1) ?? Number.NaN,
    bytes: Buffer.byteLength(last), items: body.items?.length ?? body.buckets?.length
  }
}

/**
 * Pages through the report `pages` times and returns the cursor after them and the rows before it;
 * stops one page early when the report ends (small scales), so the timed page is never empty.
 */
const deepCursor = async (baseUrl: string, headers: Record<string, string>, query: string, pages: number) => {
  let cursor: string | null = null
  let rows = 0
  for (let i = 0; i < pages; i++) {
    const suffix: string = cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`
    const page = JSON.parse(await get(baseUrl, `/broadcast/${broadcastId(badBroadcast)}/report?${query}${suffix}`, headers)) as {
      items: ReadonlyArray<unknown>
      nextCursor: string | null
    }
    if (page.nextCursor === null) break
    rows += page.items.length
    cursor = page.nextCursor
  }
  return { cursor, rows }
}

const isoDay = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10)

const stopService = async (service: RunningService) => {
  const code = await Promise.race([service.stop("SIGTERM"), sleep(30_000).then(() => "timeout" as const)])
  if (code === "timeout") await service.kill()
}

// ---------------------------------------------------------------------------------------------

const load = () => loadavg().map((n) => n.toFixed(2)).join(" ")
const revision = () => {
  const git = (...args: Array<string>) =>
    spawnSync("git", args, { cwd: path.resolve(import.meta.dirname, "../.."), timeout: 10_000 }).stdout?.toString().trim() ?? ""
  const changed = git("status", "--porcelain", "--", "src").split("\n").filter((line) => line !== "").length
  return `${git("rev-parse", "--short", "HEAD")}${changed > 0 ? ` with ${changed} changed file(s) under src/` : ""}`
}

console.log(`code: ${revision()}; load average before: ${load()}; ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`)
console.log(`reports benchmark ${runId}: ${postgres === undefined ? "embedded PostgreSQL" : `PostgreSQL ${postgres.host}/${dbName}`}, ` +
  `${deliveries.toLocaleString("en-US")} deliveries (${perBroadcast.toLocaleString("en-US")} per broadcast), ` +
  `${warmup} warm-up + ${requests} timed requests per endpoint`)

const url = databaseFor(dbName)
const dataDir = tempDataDir()
if (postgres !== undefined) psql(`CREATE DATABASE ${dbName}`)
try {
  const env = { DATA_DIR: dataDir, LOG_LEVEL: "Warning", JWT_SECRET: jwtSecret, ...(url === undefined ? {} : { DATABASE_URL: url }) }
  // First start: the migrations.
  await stopService(await startService(env, 120_000))

  const seedStarted = performance.now()
  const session = await openSession(url, dataDir)
  let seeded: Awaited<ReturnType<typeof seed>>
  try {
    seeded = await seed(session)
  } finally {
    await session.close()
  }
  const seedSeconds = (performance.now() - seedStarted) / 1000
  console.log(`seeding took ${seedSeconds.toFixed(1)} s: ${seeded.counts.map((c) => `${c.name} ${c.n.toLocaleString("en-US")}`).join(", ")}`)

  const service = await startService(env, 120_000)
  try {
    const headers = { authorization: `Bearer ${await token()}`, orgid: org }
    const filtered = "status=bounced,failed&pageSize=200"
    const deep = await deepCursor(service.baseUrl, headers, filtered, 10)
    const deepAll = await deepCursor(service.baseUrl, headers, "pageSize=200", 25)
    const cursorQuery = (cursor: string | null) => cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`
    const results: Array<Timing> = []
    const run = async (name: string, path_: string) => {
      const result = await measure(service.baseUrl, headers, name, path_)
      results.push(result)
      console.log(`  ${name}: p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms`)
    }
    await run(`report page, bounced,failed, after ${deep.rows.toLocaleString("en-US")} rows`,
      `/broadcast/${broadcastId(badBroadcast)}/report?${filtered}${cursorQuery(deep.cursor)}`)
    await run("report page, bounced,failed, first page", `/broadcast/${broadcastId(badBroadcast)}/report?${filtered}`)
    await run(`report page, no filter, after ${deepAll.rows.toLocaleString("en-US")} rows`,
      `/broadcast/${broadcastId(badBroadcast)}/report?pageSize=200${cursorQuery(deepAll.cursor)}`)
    await run("stats, a year by day", `/broadcast/stats?aggregatedBy=day&startDate=${isoDay(-364)}&endDate=${isoDay(0)}`)
    await run("stats summary (30 days vs 30 before)", "/broadcast/stats/summary")
    await run("deliverability health", "/deliverability/health")
    // The dashboard's own reads (docs/dashboard.md) that the cases above do not cover.
    const searched = `user${badBroadcast * perBroadcast + 17}@example.com`
    await run("dashboard: broadcasts, first 25", "/broadcast?limit=25")
    await run("dashboard: one broadcast", `/broadcast/${broadcastId(badBroadcast)}`)
    await run("dashboard: report, first 50 rows", `/broadcast/${broadcastId(badBroadcast)}/report?pageSize=50`)
    await run("dashboard: overview, one channel's 30 days by month", `/broadcast/stats?aggregatedBy=month&channel=email&startDate=${isoDay(-29)}&endDate=${isoDay(0)}`)
    await run("dashboard: recipient search (activity by recipient)", `/broadcast/activity?recipient=${encodeURIComponent(searched)}&limit=100`)
    await run("dashboard: sender accounts", "/sender-accounts")
    await run("GET /health (no auth, SELECT 1)", "/health")

    console.log(`\nseeding: ${seedSeconds.toFixed(1)} s (${seeded.timings.map(([n, s]) => `${n} ${s.toFixed(1)} s`).join(", ")})\n`)
    console.log("| request | p50 | p99 | max | answer |")
    console.log("|---|---:|---:|---:|---:|")
    for (const r of results) {
      const answer = `${(r.bytes / 1024).toFixed(1)} KiB${r.items === undefined ? "" : `, ${r.items} items`}`
      console.log(`| ${r.name} | ${r.p50.toFixed(1)} ms | ${r.p99.toFixed(1)} ms | ${r.max.toFixed(1)} ms | ${answer} |`)
    }
    console.log(`  paths: ${results.map((r) => r.path).join("  ")}`)
  } finally {
    await stopService(service)
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true })
  if (postgres !== undefined) psql(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)
}
console.log(`\ncode: ${revision()}; load average after: ${load()}`)
export {}
