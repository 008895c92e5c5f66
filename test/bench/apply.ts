// The pipeline alone: a pre-filled inbox of realistic events drained by one in-process pipeline, on
// the machine's PostgreSQL server and on the embedded server, alternating rounds. Prints events
// applied per second, the batch size, statements per batch and where a batch's time goes (load of the
// keys' state / pure projection / writes / the rest of the transaction: begin, lock, commit), and the
// process's RSS after the drain.
//
// The events: a broadcast history over BENCH_CONTACTS recipients (default 10,000), 2.4 events per
// message on average: every message sent, 95% delivered, 40% opened (a third by a privacy proxy), 10%
// clicked, 3% soft-bounced, 2% hard-bounced, 0.2% complained, 0.5% unsubscribed; 5 sender accounts,
// 10 broadcasts, times over 7 days; inbox order shuffled, as providers deliver.
//
//   BENCH_DATABASE_URL  the server (maintenance database); a database is created per round and dropped
//   BENCH_EVENTS        events in the inbox per round (default 60,000)
//   BENCH_CONTACTS      distinct recipients (default 10,000)
//   BENCH_ROUNDS        alternating rounds (default 2)
//   BENCH_TARGETS       "server,embedded" (default both)
//   BENCH_STATEMENTS    "true": also the six statements that took longest, per batch
//   BENCH_DRAIN         "service" (server only): a service process (`npm start`, its pipeline on) drains the
//                       inbox instead of this process; its RSS is sampled every 100 ms (the memory figure)
import { DateTime, Effect, Layer, Logger, LogLevel, ConfigProvider, Redacted } from "effect"
import Pg from "pg"
import { readFileSync, rmSync } from "node:fs"
import { cpus, loadavg } from "node:os"
import { Ingest, RepositoriesSql } from "../../src/App.js"
import { AppConfig } from "../../src/AppConfig.js"
import type { NormalizedEvent } from "../../src/domain/Event.js"
import { Inbox } from "../../src/ingest/Inbox.js"
import { Pipeline, batchSize } from "../../src/ingest/Pipeline.js"
import * as Database from "../../src/storage/Database.js"
import * as Migrations from "../../src/storage/Migrations.js"
import { makeSpanTally, withSpanTally } from "../support/spanTally.js"
import { startService, tempDataDir } from "../support/service.js"
import { findServicePid, statusField } from "../support/serviceProcess.js"

const serverUrl = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres"
const total = Number(process.env.BENCH_EVENTS ?? 60_000)
const contacts = Number(process.env.BENCH_CONTACTS ?? 10_000)
const rounds = Number(process.env.BENCH_ROUNDS ?? 2)
const targets = (process.env.BENCH_TARGETS ?? "server,embedded").split(",")
const start = DateTime.unsafeMake("2026-11-01T00:00:00Z")

/** A deterministic stream (seeded), so every round and target applies the same events. */
const realisticEvents = (runId: string): Array<NormalizedEvent> => {
  let seed = 42
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31)
  const events: Array<NormalizedEvent> = []
  for (let m = 0; events.length < total; m++) {
    const recipient = `r${m % contacts}@example.com`
    const sent = DateTime.add(start, { seconds: Math.floor(random() * 7 * 86_400) })
    const base = {
      orgId: "org-bench", provider: "generic", providerMessageId: `${runId}-m${m}`, recipient, channel: "email" as const,
      broadcastId: `bc-${m % 10}`, senderAccountId: `acct-${m % 5}`
    }
    const add = (type: NormalizedEvent["type"], seconds: number, details: NormalizedEvent["details"] = {}) =>
      events.push({ ...base, type, providerEventId: `${runId}-${m}-${type}`, occurredAt: DateTime.add(sent, { seconds }), details })
    add("sent", 0)
    const roll = random()
    if (roll < 0.02) add("bounced", 5, { reason: "550 5.1.1 no such user", bounceKind: "hard" })
    else if (roll < 0.05) add("soft_bounced", 5, { reason: "452 mailbox full" })
    else {
      add("delivered", 3)
      if (random() < 0.4) add("opened", 600, random() < 0.33 ? { machine: true, userAgent: "GoogleImageProxy" } : {})
      if (random() < 0.1) add("clicked", 900, { url: "https://example.com/offer" })
      if (random() < 0.002) add("complained", 3_600)
      if (random() < 0.005) add("unsubscribed", 4_000, { category: "marketing" })
    }
  }
  events.length = total
  for (let i = events.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[events[i], events[j]] = [events[j]!, events[i]!]
  }
  return events
}

/** The whole machine's CPU ticks (/proc/stat): how busy both cores were while the pipeline drained. */
const machineTicks = () => {
  const [, ...fields] = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/)
  const ticks = fields.map(Number)
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0)
  const total = ticks.reduce((a, b) => a + b, 0)
  return { busy: total - idle, total }
}

const config = ConfigProvider.fromMap(new Map([["PIPELINE_WORKERS", process.env.PIPELINE_WORKERS ?? "2"], ["PIPELINE_ENABLED", "false"], ["INBOX_MAX_BACKLOG", String(total * 2)]]))

const slowest = (tally: ReturnType<typeof makeSpanTally>, batches: number) =>
  [...tally.nanos].filter(([key]) => key.startsWith("sql: ")).sort((a, b) => Number(b[1] - a[1])).slice(0, 6)
    .map(([key, nanos]) => `    ${(Number(nanos) / 1e6 / Math.max(1, batches)).toFixed(1).padStart(7)} ms/batch  ${key.slice(5)}`)

const drainBy = process.env.BENCH_DRAIN ?? "in-process"

/** Starts the service on the filled database and waits until its pipeline has applied every row. */
const drainByService = async (databaseUrl: string) => {
  const service = await startService({ DATABASE_URL: databaseUrl, PIPELINE_WORKERS: process.env.PIPELINE_WORKERS ?? "2", INBOX_MAX_BACKLOG: String(total * 2) }, 60_000)
  const pid = findServicePid()
  const rssIdle = statusField(pid, "VmRSS")
  let rssPeak = rssIdle
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, statusField(pid, "VmRSS"))), 100)
  // From the first answer on /health: start-up and migrations are not the pipeline's time.
  const started = performance.now()
  const client = new Pg.Client({ connectionString: databaseUrl })
  await client.connect()
  while (Number((await client.query("SELECT count(*) AS n FROM ingest_inbox WHERE processed_at IS NULL")).rows[0].n) > 0) await Bun.sleep(200)
  await client.end()
  clearInterval(sampler)
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  const cpu = (Number(fields[11]) + Number(fields[12])) / 100
  const seconds = (performance.now() - started) / 1000
  await service.stop("SIGTERM")
  return { rssIdle, rssPeak, cpu, seconds }
}

const round = async (target: string, index: number) => {
  const runId = `${target}${index}${Date.now().toString(36)}`
  const name = `sendtrail_bench_apply_${runId}`
  const dataDir = target === "embedded" ? tempDataDir() : undefined
  if (target === "server") {
    const admin = new Pg.Client({ connectionString: serverUrl })
    await admin.connect()
    await admin.query(`CREATE DATABASE ${name}`)
    await admin.end()
  }
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  const database = dataDir === undefined ? Database.postgresLayer(Redacted.make(url.toString()), 40) : Database.embeddedLayer(dataDir, 40)
  const world = Ingest.pipe(
    Layer.provideMerge(RepositoriesSql),
    Layer.provideMerge(Migrations.layer),
    Layer.provideMerge(database),
    Layer.provideMerge(AppConfig.Default),
    Layer.provide(Layer.setConfigProvider(config)),
    Layer.provide(Logger.minimumLogLevel(LogLevel.Error))
  )
  const tally = makeSpanTally()
  const measured = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const inbox = yield* Inbox
    // Generated here and dropped before the drain: the service holds no such stream, and the collector
    // of this process would otherwise walk it all the time the pipeline runs.
    const events = realisticEvents(runId)
    for (let i = 0; i < events.length; i += 5_000) yield* inbox.append(events.slice(i, i + 5_000))
    events.length = 0
    // The stream itself sits in this process: what the drain adds is peak RSS minus RSS before it.
    const rssBefore = process.memoryUsage().rss / 2 ** 20
    let rssPeak = rssBefore
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss / 2 ** 20)), 100)
    const started = performance.now()
    const machineBefore = machineTicks()
    const cpu = process.cpuUsage()
    const service = drainBy === "service" && target === "server" ? yield* Effect.promise(() => drainByService(url.toString())) : undefined
    if (service === undefined) yield* withSpanTally(tally)((yield* Pipeline).drain)
    const used = process.cpuUsage(cpu)
    const machineAfter = machineTicks()
    clearInterval(sampler)
    return {
      seconds: service?.seconds ?? (performance.now() - started) / 1000, rssBefore, rssPeak,
      cpu: service?.cpu ?? (used.user + used.system) / 1e6, ...(service === undefined ? {} : { rssBefore: service.rssIdle, rssPeak: service.rssPeak }),
      busy: (machineAfter.busy - machineBefore.busy) / Math.max(1, machineAfter.total - machineBefore.total)
    }
  }).pipe(Effect.provide(world))))
  if (target === "server") {
    const admin = new Pg.Client({ connectionString: serverUrl })
    await admin.connect()
    await admin.query(`DROP DATABASE ${name} WITH (FORCE)`)
    await admin.end()
  }
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true })
  const batches = tally.count.get("ProjectionStore.apply") ?? 0
  const ms = (span: string) => Number(tally.nanos.get(span) ?? 0n) / 1e6 / Math.max(1, batches)
  const phases = { load: ms("ProjectionStore.load"), project: ms("ProjectionStore.project"), write: ms("ProjectionStore.write") }
  return {
    target, perSecond: total / measured.seconds, seconds: measured.seconds, batches, cpu: measured.cpu, busy: measured.busy,
    rssBefore: measured.rssBefore, rssPeak: measured.rssPeak,
    statements: (tally.count.get("sql.execute") ?? 0) / Math.max(1, batches),
    phases: { ...phases, rest: ms("ProjectionStore.apply") - phases.load - phases.project - phases.write },
    slowest: slowest(tally, batches)
  }
}

console.log(`apply bench: ${total} events over ${contacts} recipients, batches of ${batchSize}, ` +
  `${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(1)).join(" ")}`)
const who = (target: string) => drainBy === "service" && target === "server" ? "the service process's" : "this process's"
const results: Array<Awaited<ReturnType<typeof round>>> = []
for (let i = 0; i < rounds; i++) {
  for (const target of targets) {
    const result = await round(target, i)
    results.push(result)
    const p = result.phases
    console.log(`  ${target.padEnd(8)} ${Math.round(result.perSecond).toLocaleString("en")} events/s (${result.seconds.toFixed(1)} s, ` +
      `${result.batches} batches, ${result.statements.toFixed(1)} statements/batch; per batch: load ${p.load.toFixed(0)} ms, ` +
      `project ${p.project.toFixed(0)} ms, write ${p.write.toFixed(0)} ms, begin+lock+commit ${p.rest.toFixed(0)} ms; ` +
      `${who(target)} CPU ${result.cpu.toFixed(1)} s, machine ${(result.busy * 100).toFixed(0)}% busy; ` +
      `${who(target)} RSS ${result.rssBefore.toFixed(0)} MB before the drain, peak ${result.rssPeak.toFixed(0)} MB)`)
    if (process.env.BENCH_STATEMENTS === "true") console.log(result.slowest.join("\n"))
  }
}
const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN
for (const target of targets) {
  console.log(`median ${target}: ${Math.round(median(results.filter((r) => r.target === target).map((r) => r.perSecond))).toLocaleString("en")} events/s`)
}
process.exit(0)
