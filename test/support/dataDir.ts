import { Effect, Redacted } from "effect"
import Pg from "pg"
import * as Database from "../../src/storage/Database.js"
import * as EmbeddedPostgres from "../../src/storage/EmbeddedPostgres.js"

/**
 * Opens a stopped service's data folder: its embedded server runs while `run` reads through a client,
 * and stops afterwards (the service must not be running: the folder has one owner at a time).
 */
export const withDataDir = <A>(dataDir: string, run: (client: Pg.Client) => Promise<A>) =>
  Effect.runPromise(Effect.scoped(Effect.flatMap(EmbeddedPostgres.start({ dataDir }), (server) =>
    Effect.promise(async () => {
      const client = new Pg.Client({ connectionString: Redacted.value(EmbeddedPostgres.urlOf(server)), types: Database.pgTypes })
      await client.connect()
      try {
        return await run(client)
      } finally {
        await client.end()
      }
    }))))
