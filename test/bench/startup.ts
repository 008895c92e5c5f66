// Start-up to the first 200 on /health, for the embedded database (first start on an empty folder,
// then restarts on existing data) and, when BENCH_DATABASE_URL is set, for a PostgreSQL server.
import { startService, tempDataDir } from "../support/service.js"

const runs = Number(process.env.BENCH_RUNS ?? 5)

const measure = async (label: string, env: () => Record<string, string>) => {
  const times: Array<number> = []
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    const service = await startService(env(), 60_000)
    times.push(performance.now() - started)
    await service.stop()
  }
  times.sort((a, b) => a - b)
  const median = times[Math.floor(times.length / 2)]!
  console.log(`${label.padEnd(34)} median ${median.toFixed(0).padStart(5)} ms   min ${times[0]!.toFixed(0)} ms   max ${times.at(-1)!.toFixed(0)} ms   (${runs} runs)`)
}

await measure("embedded, empty data folder", () => ({ DATA_DIR: tempDataDir() }))
const existing = tempDataDir()
await measure("embedded, existing data folder", () => ({ DATA_DIR: existing }))
const url = process.env.BENCH_DATABASE_URL
if (url) await measure("postgres server", () => ({ DATA_DIR: tempDataDir(), DATABASE_URL: url }))
else console.log("postgres server: set BENCH_DATABASE_URL to measure")
