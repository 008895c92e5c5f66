// The larger fuzz run: hostile bodies (random, mutated, poisoned, deep, binary; signed and unsigned)
// against every webhook route of a real service process, counting answers by status. It fails (exit
// 1) on any 5xx or if the service stops answering /health, and prints the service's memory before,
// right after, and 10 s after the run, to see that it returns to its level.
//
//   FUZZ_RUNS   bodies per route (default 1000)
//   FUZZ_SEED   seed (default 14)
import { FastCheck as fc } from "effect"
import { readFileSync } from "node:fs"
import { hostileAttempt, webhookRoutes } from "../support/fuzz.js"
import { startService, tempDataDir } from "../support/service.js"
import { configuredEnvironment } from "../support/signing.js"

const runs = Number(process.env.FUZZ_RUNS ?? 1000)
const seed = Number(process.env.FUZZ_SEED ?? 14)

const rssOfTree = (pid: number) => {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number)
  // `bun run start` runs the service as its child: the service is the one with the most resident memory.
  return Math.max(...[pid, ...children].map((p) => Number(readFileSync(`/proc/${p}/status`, "utf8").match(/^VmRSS:\s+(\d+)/m)?.[1] ?? 0) / 1024))
}

const service = await startService({ ...configuredEnvironment, DATA_DIR: tempDataDir(), LOG_LEVEL: "Error" }, 60_000)
const counts = new Map<string, number>()
let failed = false
try {
  const before = rssOfTree(service.pid)
  const started = performance.now()
  for (const [i, route] of webhookRoutes.entries()) {
    for (const attempt of fc.sample(hostileAttempt, { numRuns: runs, seed: seed + i })) {
      // A signed SNS request needs its certificate from AWS, which a machine without network cannot
      // fetch (503 by design, docs/providers.md): the in-process fuzz test covers those with a stub.
      if (route.path === "/api/ses-events" && attempt.signed) continue
      const request = route.request(attempt)
      const response = await fetch(`${service.baseUrl}${route.path}`, { method: "POST", body: request.body, headers: request.headers })
      await response.arrayBuffer()
      const key = `${route.path} ${response.status}`
      counts.set(key, (counts.get(key) ?? 0) + 1)
      if (response.status >= 500) failed = true
    }
  }
  const seconds = (performance.now() - started) / 1000
  const after = rssOfTree(service.pid)
  await new Promise((r) => setTimeout(r, 10_000))
  const settled = rssOfTree(service.pid)
  const health = await fetch(`${service.baseUrl}/health`).then((r) => r.status, () => 0)
  if (health !== 200) failed = true
  console.log(`fuzz: ${runs} bodies per route, seed ${seed}, ${webhookRoutes.length} routes, ${seconds.toFixed(1)} s`)
  for (const [key, n] of [...counts].sort()) console.log(`  ${key.padEnd(40)} ${n}`)
  console.log(`service RSS: ${before.toFixed(0)} MB before, ${after.toFixed(0)} MB after, ${settled.toFixed(0)} MB 10 s later; /health ${health}`)
} finally {
  await service.stop()
}
if (failed) {
  console.error("a 5xx, or /health stopped answering")
  process.exit(1)
}
