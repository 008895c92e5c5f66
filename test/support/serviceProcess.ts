import { readdirSync, readFileSync } from "node:fs"

/** The service process started by `startService` (`bun run start` → `bun run src/main.ts`): its pid, for RSS and CPU. */
const parentOf = (pid: number): number | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1])
  } catch {
    return undefined
  }
}

const commandOf = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ")
  } catch {
    return ""
  }
}

/** The deepest descendant of this process whose command line runs src/main.ts. */
export const findServicePid = (): number => {
  const pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name)).map(Number)
  const depth = (pid: number): number => {
    let d = 0
    for (let p: number | undefined = pid; p !== undefined && p > 1; p = parentOf(p), d++) {
      if (p === process.pid) return d
    }
    return -1
  }
  const candidates = pids.filter((pid) => commandOf(pid).includes("src/main.ts") && depth(pid) > 0)
  const best = candidates.sort((a, b) => depth(b) - depth(a))[0]
  if (best === undefined) throw new Error("cannot find the service's `bun run src/main.ts` process")
  return best
}

export const statusField = (pid: number, field: string): number => {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"))
  return match === null ? Number.NaN : Number(match[1]) / 1024
}
