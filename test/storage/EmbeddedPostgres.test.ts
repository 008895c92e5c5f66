import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdirSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import * as EmbeddedPostgres from "../../src/storage/EmbeddedPostgres.js"
import { tempDataDir } from "../support/service.js"

/** The message of the start-up failure on `dataDir` (a start that succeeds fails the test). */
const startFailure = (dataDir: string) =>
  Effect.scoped(EmbeddedPostgres.start({ dataDir })).pipe(Effect.flip, Effect.map((error) => error.message))

describe("the embedded server's start-up errors name the cause and the fix", () => {
  it.effect("a cluster made by another PostgreSQL major version", () =>
    Effect.gen(function* () {
      const dataDir = tempDataDir()
      mkdirSync(path.join(dataDir, "postgres"))
      writeFileSync(path.join(dataDir, "postgres", "PG_VERSION"), "15\n")
      expect(yield* startFailure(dataDir)).toMatch(/was made by PostgreSQL 15, this Sendtrail runs PostgreSQL 18: upgrade it with pg_upgrade/)
    }))

  it.effect("a cluster whose password file is gone", () =>
    Effect.gen(function* () {
      const dataDir = tempDataDir()
      mkdirSync(path.join(dataDir, "postgres"))
      writeFileSync(path.join(dataDir, "postgres", "PG_VERSION"), "18\n")
      expect(yield* startFailure(dataDir)).toMatch(/postgres-password is missing, so the cluster in .* cannot be opened: restore it, or move/)
    }))

  it.effect("a data folder that cannot be created", () =>
    Effect.gen(function* () {
      const file = path.join(tempDataDir(), "a-file")
      writeFileSync(file, "")
      expect(yield* startFailure(path.join(file, "data"))).toMatch(/data folder .*a-file\/data cannot be created .*: set DATA_DIR to a folder this user can write/)
    }))

  it.effect("a data folder owned by a live process", () =>
    Effect.gen(function* () {
      const dataDir = tempDataDir()
      writeFileSync(path.join(dataDir, "sendtrail.pid"), `${process.ppid}\n`)
      expect(yield* startFailure(dataDir)).toBe(
        `data folder ${dataDir} is in use by another Sendtrail process (pid ${process.ppid}): stop it, or set DATA_DIR to another folder`
      )
    }))
})
