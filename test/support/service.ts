import { spawn } from "node:child_process"
import type { ChildProcess } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, readlinkSync } from "node:fs"
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

/** The socket inodes listening on the TCP port (/proc/net/tcp and tcp6, state 0A). */
const listeningInodes = (port: number): Set<string> => {
  const hex = port.toString(16).toUpperCase().padStart(4, "0")
  const inodes = new Set<string>()
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = ""
    try {
      text = readFileSync(table, "utf8")
    } catch {
      continue
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/)
      if (fields[1]?.endsWith(`:${hex}`) && fields[3] === "0A" && fields[9] !== undefined) inodes.add(fields[9])
    }
  }
  return inodes
}

/**
 * Whether a process of the child's group (the service runs as its grandchild) listens on the port:
 * another test's service may have taken a port that was free a moment before, and would answer
 * /health just as well.
 */
const groupListensOn = (groupId: number, port: number): boolean => {
  const inodes = listeningInodes(port)
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]) !== groupId) continue
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))
        if (match !== null && inodes.has(match[1]!)) return true
      }
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return false
}

class PortTaken extends Error {}

const waitForHealth = async (port: string, child: ChildProcess, output: () => string, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}:\n${output()}`)
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false)
    if (ok) {
      if (groupListensOn(child.pid!, Number(port))) return
      throw new PortTaken(`port ${port} answers, but not from this service`)
    }
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

/**
 * Starts the real service (`bun run start`) on a free port and waits until /health answers 200 from
 * it; a port another process took meanwhile means a new port and a new start.
 */
export const startService = async (env: Record<string, string>, timeoutMs = 30_000): Promise<RunningService> => {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOn(env.PORT ?? String(await freePort()), env, timeoutMs)
    } catch (error) {
      if (!(error instanceof PortTaken) || env.PORT !== undefined || attempt === 3) throw error
    }
  }
}

const startOn = async (port: string, env: Record<string, string>, timeoutMs: number): Promise<RunningService> => {
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
    await waitForHealth(port, child, output, timeoutMs)
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
