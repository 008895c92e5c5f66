import { Effect, Exit, Layer, Logger, LogLevel, ManagedRuntime, Redacted, Scope } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import Pg from "pg"
import type { TestProject } from "vitest/node"
import * as Database from "../../src/storage/Database.js"
import * as EmbeddedPostgres from "../../src/storage/EmbeddedPostgres.js"
import * as Migrations from "../../src/storage/Migrations.js"
import { isAlive, readPid } from "../../src/storage/Processes.js"

declare module "vitest" {
  export interface ProvidedContext {
    /** A server URL (any database) to create test databases from, and the migrated template's name. */
    readonly testDatabase: { readonly url: string; readonly template: string }
  }
}

export const withDatabase = (url: string, database: string) => {
  const scoped = new URL(url)
  scoped.pathname = `/${database}`
  return scoped.toString()
}

export const admin = async <A>(url: string, run: (client: Pg.Client) => Promise<A>) => {
  const client = new Pg.Client({ connectionString: url, types: Database.pgTypes })
  await client.connect()
  try {
    return await run(client)
  } finally {
    await client.end()
  }
}

/**
 * One PostgreSQL server for the whole run: TEST_DATABASE_URL when set, otherwise an embedded server
 * of its own in a temporary folder (durability off: it is thrown away). The schema is migrated once
 * into a template; every test file copies it into a database of its own.
 */
export default async function setup(project: TestProject) {
  const scope = Effect.runSync(Scope.make())
  let dataDir: string | undefined
  let url = process.env.TEST_DATABASE_URL
  if (url === undefined) {
    dataDir = mkdtempSync(path.join(tmpdir(), "sendtrail-test-db-"))
    const server = await Effect.runPromise(Scope.extend(EmbeddedPostgres.start({
      dataDir,
      maxConnections: 500,
      ownProcessGroup: false,
      settings: { fsync: "off", synchronous_commit: "off", full_page_writes: "off" }
    }), scope))
    url = Redacted.value(EmbeddedPostgres.urlOf(server))
    // If the run ends without its teardown (a crash, an interrupt), the server must not outlive it.
    const postmasterPid = readPid(path.join(dataDir, "postgres", "postmaster.pid"))
    process.once("exit", () => postmasterPid !== undefined && isAlive(postmasterPid) && process.kill(postmasterPid, "SIGQUIT"))
  }
  const template = `sendtrail_template_${process.pid}_${Date.now().toString(36)}`
  await admin(url, (client) => client.query(`CREATE DATABASE ${template}`))
  const migrate = ManagedRuntime.make(Migrations.layer.pipe(
    Layer.provide(Database.postgresLayer(Redacted.make(withDatabase(url, template)), 2)),
    Layer.provide(Logger.minimumLogLevel(LogLevel.Warning))
  ))
  await migrate.runPromise(Effect.void).finally(() => migrate.dispose())
  project.provide("testDatabase", { url, template })

  return async () => {
    await admin(url, (client) => client.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`)).catch(() => undefined)
    await Effect.runPromise(Scope.close(scope, Exit.void))
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true })
  }
}
