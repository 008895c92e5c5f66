import * as SqlClient from "@effect/sql/SqlClient"
import { expect, layer } from "@effect/vitest"
import { Cause, Effect, Exit, Layer, Option } from "effect"
import { SuppressionRepository } from "../../src/storage/SuppressionRepository.js"
import { sqlBackends } from "../support/databases.js"

for (const backend of sqlBackends) {
  layer(Layer.provideMerge(SuppressionRepository.Default, backend.layer))(`row decoding (${backend.name})`, (it) => {
    it.effect("a row of unexpected shape is a defect whose message names the column and the value", () =>
      Effect.gen(function* () {
        const repo = yield* SuppressionRepository
        const sql = yield* SqlClient.SqlClient
        yield* repo.add({
          orgId: "org-corrupt", channel: "email", address: "ada@example.com", category: null, reason: "bounce", source: "test", metadata: {}
        })
        yield* sql`UPDATE suppressions SET category = 'News Letter' WHERE org_id = 'org-corrupt'`
        const exit = yield* Effect.exit(repo.list("org-corrupt", { limit: 10 }))
        expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
        const defect = Exit.isFailure(exit) ? Option.getOrUndefined(Cause.dieOption(exit.cause)) : undefined
        expect(String(defect)).toMatch(/\["category"\][\s\S]*"News Letter"/)
      }))
  })
}
