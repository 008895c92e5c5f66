import { Duration, Effect, Schedule } from "effect"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import { createServer } from "node:net"

// Processes the embedded server's lifecycle deals with: its own postgres, an orphan, a dead owner.

/** Runs a command to its end (as `runAs` when given): whether it succeeded, and what it printed. */
export const run = (command: string, args: ReadonlyArray<string>, runAs: RunAs | undefined) => {
  const result = spawnSync(command, args, { encoding: "utf8", ...runAs })
  return { ok: result.status === 0, output: `${result.stdout ?? ""}${result.stderr ?? ""}${result.error?.message ?? ""}`.trim() }
}

/** The unprivileged user PostgreSQL runs as when the service runs as root. */
export interface RunAs {
  readonly uid: number
  readonly gid: number
}

/** A zombie (killed, not yet reaped: containers' init may never reap it) counts as gone. */
const isZombie = (pid: number) => {
  try {
    return /^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"))
  } catch {
    return false
  }
}

/** Whether a process runs (a zombie does not). */
export const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
  return !isZombie(pid)
}

/** The pid on the first line of a pid file (ours, or PostgreSQL's postmaster.pid). */
export const readPid = (file: string) => {
  const pid = Number.parseInt(fs.readFileSync(file, "utf8").split("\n")[0] ?? "", 10)
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined
}

const waitForExit = (pid: number, within: Duration.DurationInput) =>
  Effect.sync(() => isAlive(pid)).pipe(
    Effect.repeat({ while: (alive) => alive, schedule: Schedule.spaced("50 millis") }),
    Effect.timeout(within),
    Effect.as(true),
    Effect.catchTag("TimeoutException", () => Effect.succeed(false))
  )

/** Fast shutdown (SIGINT) first; immediate shutdown (SIGQUIT) if it takes too long; SIGKILL last. */
export const stopProcess = (pid: number) =>
  Effect.gen(function* () {
    for (const [signal, within] of [["SIGINT", "10 seconds"], ["SIGQUIT", "5 seconds"], ["SIGKILL", "5 seconds"]] as const) {
      try {
        process.kill(pid, signal)
      } catch {
        return
      }
      if (yield* waitForExit(pid, within)) return
    }
  })

/** A TCP port on 127.0.0.1 that nothing listens on now. */
export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0))
    })
  })
