import * as SqlClient from "@effect/sql/SqlClient"
import { expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { SunsetSchedule } from "../../src/contacts/SunsetSchedule.js"
import { call, contactsService } from "../support/contactsApi.js"
import { unique } from "../support/providerRoutes.js"

interface DryRun { readonly count: number; readonly items: ReadonlyArray<{ readonly address: string }>; readonly nextCursor: string | null }

layer(contactsService, { excludeTestServices: true })("sunset of unengaged contacts", (it) => {
  it.effect("a dry run says how many and which, a run suppresses them on the stream under one batch id, and the batch id reverses it", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const org = unique("org-")
      const [active, lapsed, silent, suppressed, fresh] = ["active", "lapsed", "silent", "suppressed", "fresh"].map((n) => `${n}-${org}@example.com`)
      const imported = yield* call(org, "/contacts/import", { json: [active, lapsed, silent, suppressed, fresh].map((email) => ({ email })) })
      const ids = (imported.body as { rows: ReadonlyArray<{ contactId: string }> }).rows.map((r) => r.contactId)
      // Contacts of two years ago but `fresh`; `active` opened last week, `lapsed` 400 days ago, `silent` never.
      yield* sql`UPDATE contacts SET created_at = now() - interval '2 years' WHERE org_id = ${org} AND email <> ${fresh}`
      yield* sql`INSERT INTO contact_engagement (contact_id, channel, last_engaged_at) VALUES
        (${ids[0]!}, 'email', now() - interval '7 days'), (${ids[1]!}, 'email', now() - interval '400 days')`
      yield* call(org, "/suppressions", { json: { channel: "email", address: suppressed, reason: "complaint" } })

      const request = { channel: "email", category: "marketing", unengagedFor: "P12M" }
      const first = yield* call(org, "/suppressions/sunset", { json: { ...request, dryRun: true, limit: 1 } })
      expect(first).toMatchObject({ status: 200, body: { dryRun: true, count: 2 } })
      const second = yield* call(org, "/suppressions/sunset", { json: { ...request, dryRun: true, limit: 1, cursor: (first.body as DryRun).nextCursor } })
      expect([...(first.body as DryRun).items, ...(second.body as DryRun).items].map((i) => i.address).sort()).toEqual([lapsed, silent].sort())
      expect((second.body as DryRun).nextCursor).toBeNull()

      const run = yield* call(org, "/suppressions/sunset", { json: request })
      expect(run).toMatchObject({ status: 200, body: { dryRun: false, suppressed: 2 } })
      const batchId = (run.body as { batchId: string }).batchId
      const check = (category: string) =>
        Effect.map(call(org, "/suppressions/check", { json: { channel: "email", addresses: [lapsed, silent, active], category } }),
          (r) => (r.body as { suppressed: ReadonlyArray<{ address: string }> }).suppressed.map((s) => s.address).sort())
      expect(yield* check("marketing")).toEqual([lapsed, silent].sort())
      expect(yield* check("transactional")).toEqual([]) // the stream only
      expect((yield* call(org, "/suppressions/sunset", { json: { ...request, dryRun: true } })).body).toMatchObject({ count: 0 })

      expect(yield* call(org, `/suppressions/sunset/${batchId}`, { method: "DELETE" })).toEqual({ status: 200, body: { removed: 2 } })
      expect(yield* check("marketing")).toEqual([])
      expect((yield* call(org, `/suppressions/sunset/${batchId}`, { method: "DELETE" })).status).toBe(404)
      expect((yield* call(unique("org-"), `/suppressions/sunset/${batchId}`, { method: "DELETE" })).status).toBe(404)
      const audit = (yield* call(org, `/audit?subject=${encodeURIComponent(`batch:${batchId}`)}`)).body as { items: ReadonlyArray<{ action: string }> }
      expect(audit.items.map((e) => e.action).sort()).toEqual(["suppression.sunset", "suppression.sunset_reversed"])
    }))

  it.effect("security and transactional mail are never sunset; a bad duration is a 400 naming it", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      for (const category of ["security", "transactional"]) {
        expect(yield* call(org, "/suppressions/sunset", { json: { channel: "email", category, unengagedFor: "P12M" } }))
          .toMatchObject({ status: 400, body: { message: expect.stringMatching(/^category: a sunset never touches/) } })
      }
      expect(yield* call(org, "/suppressions/sunset", { json: { channel: "email", category: "marketing", unengagedFor: "12 months" } }))
        .toMatchObject({ status: 400, body: { message: expect.stringMatching(/^unengagedFor: expected an ISO 8601 duration/) } })
    }))

  it.effect("a daily sunset: scheduled per channel and stream, run when its day is up and not before, each run reversible by its batch id", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const schedules = yield* SunsetSchedule
      const org = unique("org-")
      const lapsed = `lapsed-${org}@example.com`
      const later = `later-${org}@example.com`
      yield* call(org, "/contacts/import", { json: [{ email: lapsed }] })
      yield* sql`UPDATE contacts SET created_at = now() - interval '2 years' WHERE org_id = ${org}`
      const standing = { channel: "email", category: "newsletter", unengagedFor: "P6M" }
      expect(yield* call(org, "/suppressions/sunset/schedules", { method: "PUT", json: standing }))
        .toMatchObject({ status: 200, body: { ...standing, lastRunAt: null, lastBatchId: null } })
      expect(yield* call(org, "/suppressions/sunset/schedules", { method: "PUT", json: { ...standing, category: "security" } }))
        .toMatchObject({ status: 400, body: { message: expect.stringMatching(/^category: a sunset never touches/) } })

      yield* schedules.runDue()
      const listed = (yield* call(org, "/suppressions/sunset/schedules")).body as { items: ReadonlyArray<{ lastRunAt: string | null; lastBatchId: string | null; lastSuppressed: number | null }> }
      expect(listed.items).toEqual([expect.objectContaining({ ...standing, lastRunAt: expect.any(String), lastSuppressed: 1 })])
      const suppressedOn = (address: string) => Effect.map(call(org, "/suppressions/check", { json: { channel: "email", addresses: [address], category: "newsletter" } }),
        (r) => (r.body as { suppressed: ReadonlyArray<unknown> }).suppressed.length === 1)
      expect(yield* suppressedOn(lapsed)).toBe(true)

      // Not again the same day: a contact lapsing meanwhile waits for tomorrow's run.
      yield* call(org, "/contacts/import", { json: [{ email: later }] })
      yield* sql`UPDATE contacts SET created_at = now() - interval '2 years' WHERE org_id = ${org}`
      yield* schedules.runDue()
      expect(yield* suppressedOn(later)).toBe(false)
      yield* sql`UPDATE sunset_schedules SET last_run_at = last_run_at - interval '1 day' WHERE org_id = ${org}`
      yield* schedules.runDue()
      expect(yield* suppressedOn(later)).toBe(true)
      const [today] = ((yield* call(org, "/suppressions/sunset/schedules")).body as typeof listed).items
      expect(today?.lastSuppressed).toBe(1)
      expect(yield* call(org, `/suppressions/sunset/${today?.lastBatchId}`, { method: "DELETE" })).toEqual({ status: 200, body: { removed: 1 } })
      expect(yield* suppressedOn(later)).toBe(false)
      const audit = (yield* call(org, `/audit?subject=${encodeURIComponent(`batch:${today?.lastBatchId}`)}`)).body as { items: ReadonlyArray<{ actor: string; action: string }> }
      expect(audit.items).toContainEqual(expect.objectContaining({ actor: "schedule", action: "suppression.sunset" }))

      expect(yield* call(unique("org-"), "/suppressions/sunset/schedules/email/newsletter", { method: "DELETE" })).toMatchObject({ status: 404 })
      expect(yield* call(org, "/suppressions/sunset/schedules/email/newsletter", { method: "DELETE" })).toMatchObject({ status: 204 })
      expect((yield* call(org, "/suppressions/sunset/schedules")).body).toEqual({ items: [] })
    }))
})
