import { spawn } from "node:child_process"
import type { ChildProcess } from "node:child_process"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { freePort } from "../../src/storage/Processes.js"

export { freePort }

export const tempDataDir = () => mkdtempSync(path.join(tmpdir(), "sendtrail-e2e-"))

export interface RunningService {
  readonly baseUrl: string
  /** The `bun run start` process: the root of the service's process tree. */
  readonly pid: number
  readonly output: () => string
  /** Sends the signal and resolves with the exit code once the process has gone. */
  readonly stop: (signal?: NodeJS.Signals) => Promise<number | null>
  /** SIGKILL to the whole process group: a crash, with no chance to clean up. */
  readonly kill: () => Promise<void>
}

const waitForHealth = async (baseUrl: string, child: ChildProcess, output: () => string, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}:\n${output()}`)
    const ok = await fetch(`${baseUrl}/health`).then((r) => r.ok, () => false)
    if (ok) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`no healthy /health within ${timeoutMs} ms:\n${output()}`)
}

const killGroup = (child: ChildProcess) => {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL")
  } catch {
    // already gone
  }
}

/** Starts the real service (`bun run start`) on a free port and waits until /health answers 200. */
export const startService = async (env: Record<string, string>, timeoutMs = 30_000): Promise<RunningService> => {
  const port = env.PORT ?? String(await freePort())
  const child = spawn(process.execPath, ["run", "start"], {
    cwd: path.resolve(import.meta.dirname, "../.."),
    env: { ...process.env, LOG_LEVEL: "Warning", DATABASE_POOL_SIZE: "10", ...env, PORT: port },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group: `bun run start` runs the service as a grandchild, and a crash test
    // must be able to kill both at once.
    detached: true
  })
  let log = ""
  child.stdout?.on("data", (chunk: Buffer) => (log += chunk.toString()))
  child.stderr?.on("data", (chunk: Buffer) => (log += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
  const baseUrl = `http://127.0.0.1:${port}`
  const output = () => log
  try {
    await waitForHealth(baseUrl, child, output, timeoutMs)
  } catch (error) {
    killGroup(child)
    throw error
  }
  return {
    baseUrl,
    pid: child.pid!,
    output,
    stop: (signal = "SIGTERM") => {
      if (child.exitCode === null) child.kill(signal)
      return exited
    },
    kill: async () => {
      killGroup(child)
      await exited
    }
  }
}
