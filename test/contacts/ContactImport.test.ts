import { expect, layer } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { ContactImport, maxListedRows } from "../../src/contacts/ContactImport.js"
import { ActivityRepository } from "../../src/storage/ActivityRepository.js"
import { ContactRepository } from "../../src/storage/ContactRepository.js"
import * as MemoryActivities from "../support/memory/ActivityRepository.js"
import * as MemoryContacts from "../support/memory/ContactRepository.js"
import * as Transactor from "../support/memory/Transactor.js"

const world = ContactImport.Default.pipe(Layer.provideMerge(Layer.mergeAll(MemoryContacts.layer, MemoryActivities.layer, Transactor.inMemory)))
const json = (rows: ReadonlyArray<unknown>) => new TextEncoder().encode(JSON.stringify(rows))

layer(world)("ContactImport", (it) => {
  it.effect("a row repeating an earlier row's address is skipped naming that row; a known phone skips the row too", () =>
    Effect.gen(function* () {
      const contacts = yield* ContactRepository
      const known = yield* contacts.ensure({ orgId: "org-dupes", channel: "sms", address: "+15550100", contactId: null })
      const result = yield* (yield* ContactImport).run("org-dupes", "tester", "json", json([
        { email: "ada@example.com" },
        { email: "ADA@example.com", phone: "+15550111" },
        { email: "bob@example.com", phone: "+1 555 0100" },
        { phone: "+15550111" }
      ]))
      expect(result).toMatchObject({ created: 2, skipped: 2, invalid: 0, rowsOmitted: 0 })
      expect(result.rows.map(({ contactId: _, ...row }) => row)).toEqual([
        { row: 1, outcome: "created" },
        { row: 2, outcome: "skipped", reason: "same email as row 1" },
        { row: 3, outcome: "skipped", reason: "a contact with this phone exists" },
        { row: 4, outcome: "created" }
      ])
      expect(result.rows[2]?.contactId).toBe(known.id)
      const created = Option.getOrThrow(yield* contacts.findByAddress("org-dupes", "email", "ada@example.com"))
      expect(result.rows[0]?.contactId).toBe(created.id)
      expect(created.phone).toBeNull()
    }))

  it.effect("a large import lists only its skipped and invalid rows, up to the cap, and says how many it left out", () =>
    Effect.gen(function* () {
      const rows = Array.from({ length: 2500 }, (_, i) => i % 2 === 0 ? { email: `user${i}@example.com` } : { email: `not-an-address-${i}` })
      const result = yield* (yield* ContactImport).run("org-large", "tester", "json", json(rows))
      expect([result.created, result.skipped, result.invalid]).toEqual([1250, 0, 1250])
      expect(result.rows).toHaveLength(maxListedRows)
      expect(result.rows.every((row) => row.outcome === "invalid")).toBe(true)
      expect(result.rows[0]).toEqual({ row: 2, outcome: "invalid", reason: `email: not an email address: "not-an-address-1"` })
      expect(result.rowsOmitted).toBe(2500 - maxListedRows)
    }))

  it.effect("every import is written to the audit log with its counts and who ran it", () =>
    Effect.gen(function* () {
      yield* (yield* ContactImport).run("org-audit", "user-7", "csv", new TextEncoder().encode("email\nada@example.com\nnope\n"))
      const log = yield* (yield* ActivityRepository).auditLog("org-audit", 10)
      expect(log.map((e) => [e.actor, e.action, e.details])).toEqual([
        ["user-7", "contacts.imported", { format: "csv", rows: 2, created: 1, skipped: 0, invalid: 1 }]
      ])
    }))
})
