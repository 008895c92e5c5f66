import { expect, layer } from "@effect/vitest"
import { Effect, Option } from "effect"
import { ContactRepository } from "../../src/storage/ContactRepository.js"
import { call, contactsService } from "../support/contactsApi.js"
import { unique } from "../support/providerRoutes.js"
import { freshEvents as providerEvents } from "../support/reports.js"

interface Outcome { readonly row: number; readonly outcome: string; readonly reason?: string; readonly contactId?: string }
interface Report { readonly created: number; readonly skipped: number; readonly invalid: number; readonly rows: ReadonlyArray<Outcome>; readonly rowsOmitted: number }

const importCsv = (org: string, csv: string) => call(org, "/contacts/import", { text: csv, headers: { "content-type": "text/csv; charset=utf-8" } })
const importJson = (org: string, rows: unknown) => call(org, "/contacts/import", { json: rows })
const report = (reply: { readonly status: number; readonly body: unknown }) => {
  expect(reply.status).toBe(200)
  return reply.body as Report
}
const contactIdOf = (result: Report, row: number) => {
  const id = result.rows.find((r) => r.row === row)?.contactId
  if (id === undefined) throw new Error(`row ${row} has no contact id: ${JSON.stringify(result.rows)}`)
  return id
}


layer(contactsService, { excludeTestServices: true })("the contacts API", (it) => {
  it.effect("a CSV import creates new contacts, skips known addresses and counts invalid rows with their reasons", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const first = report(yield* importCsv(org, "email,phone\nknown@example.com,\n"))
      const knownId = contactIdOf(first, 1)
      const csv = [
        "Email,Phone,Name,plan",
        "ada@example.com,+44 20 7946 0958,Ada,pro",
        "KNOWN@example.com,,Known Again,enterprise",
        "not-an-email,,Bad,",
        ",,Nobody,free",
        "grace@example.com,+1 555 0100",
        "Ada@Example.com,,Ada Twice,"
      ].join("\n")
      const result = report(yield* importCsv(org, csv))
      expect(result).toMatchObject({ created: 1, skipped: 2, invalid: 3, rowsOmitted: 0 })
      expect(result.rows).toEqual([
        { row: 1, outcome: "created", contactId: expect.any(String) },
        { row: 2, outcome: "skipped", reason: "a contact with this email exists", contactId: knownId },
        { row: 3, outcome: "invalid", reason: `email: not an email address: "not-an-email"` },
        { row: 4, outcome: "invalid", reason: "no address: expected email, phone or whatsapp" },
        { row: 5, outcome: "invalid", reason: "expected 4 fields as in the header, got 2" },
        { row: 6, outcome: "skipped", reason: "same email as row 1" }
      ])
      const ada = yield* call(org, `/contacts/${contactIdOf(result, 1)}`)
      expect(ada.body).toMatchObject({ email: "ada@example.com", phone: "+442079460958", whatsapp: null, attributes: { name: "Ada", plan: "pro" } })
      expect((yield* call(org, `/contacts/${knownId}`)).body).toMatchObject({ email: "known@example.com", attributes: {} })
    }))

  it.effect("re-importing a previously bounced, unsubscribed and suppressed address skips it: its state stays as it was", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      yield* providerEvents(org, [
        { recipient: "bounced@example.com", type: "bounced", data: { bounceKind: "hard", reason: "550 5.1.1 no such user" } },
        { recipient: "left@example.com", type: "unsubscribed" }
      ])
      const contacts = yield* ContactRepository
      const bounced = Option.getOrThrow(yield* contacts.findByAddress(org, "email", "bounced@example.com"))
      const left = Option.getOrThrow(yield* contacts.findByAddress(org, "email", "left@example.com"))
      expect(bounced.bouncedChannels).toEqual(["email"])
      expect(left.optedOut).toContain("email")
      const addresses = ["Bounced@Example.com", "LEFT@example.com"]
      const suppressedBefore = yield* call(org, "/suppressions/check", { json: { channel: "email", addresses } })
      expect(suppressedBefore.body).toMatchObject({ allowed: [], suppressed: [{ reason: "bounce" }, { reason: "unsubscribe" }] })

      const result = report(yield* importCsv(org, `email,name\n${addresses.map((a) => `${a},Fresh Name`).join("\n")}\nnew@example.com,New\n`))
      expect(result).toMatchObject({ created: 1, skipped: 2, invalid: 0 })
      expect(result.rows.slice(0, 2)).toEqual([
        { row: 1, outcome: "skipped", reason: "a contact with this email exists", contactId: bounced.id },
        { row: 2, outcome: "skipped", reason: "a contact with this email exists", contactId: left.id }
      ])
      const jsonAgain = report(yield* importJson(org, [{ email: "bounced@example.com", name: "Overwrite?" }]))
      expect(jsonAgain).toMatchObject({ created: 0, skipped: 1 })

      const after = yield* call(org, `/contacts/${bounced.id}`)
      expect(after.body).toMatchObject({ email: "bounced@example.com", bouncedChannels: ["email"], attributes: {} })
      expect((yield* call(org, `/contacts/${left.id}`)).body).toMatchObject({ optedOut: left.optedOut, attributes: {} })
      expect((yield* call(org, "/suppressions/check", { json: { channel: "email", addresses } })).body).toEqual(suppressedBefore.body)
    }))

  it.effect("a JSON import takes names and attributes; rows of the wrong shape are invalid on their own", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const result = report(yield* importJson(org, [
        { email: "ada@example.com", name: "Ada", attributes: { plan: "pro", seats: 3 } },
        { whatsapp: "+15550100", source: "crm" },
        { email: 42 },
        "grace@example.com"
      ]))
      expect(result).toMatchObject({ created: 2, skipped: 0, invalid: 2 })
      expect(result.rows.slice(2)).toEqual([
        { row: 3, outcome: "invalid", reason: expect.stringMatching(/^email: /) },
        { row: 4, outcome: "invalid", reason: "expected an object with email, phone or whatsapp" }
      ])
      expect((yield* call(org, `/contacts/${contactIdOf(result, 1)}`)).body).toMatchObject({ attributes: { name: "Ada", plan: "pro", seats: 3 } })
      expect((yield* call(org, `/contacts/${contactIdOf(result, 2)}`)).body).toMatchObject({ whatsapp: "+15550100", attributes: { source: "crm" } })
    }))

  it.effect("an import that is not JSON or CSV is refused with 415, a body past 10 MiB with 413, an unreadable one with 400", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      expect(yield* call(org, "/contacts/import", { text: "email\nada@example.com", headers: { "content-type": "text/plain" } })).toEqual({
        status: 415, body: { error: "UnsupportedMediaType", message: "content-type: expected application/json or text/csv" }
      })
      const huge = `email,note\n${`ada@example.com,${"x".repeat(1000)}\n`.repeat(10_600)}`
      expect(yield* importCsv(org, huge)).toMatchObject({ status: 413, body: { error: "PayloadTooLarge" } })
      expect(yield* call(org, "/contacts/import", { text: "[{", headers: { "content-type": "application/json" } })).toMatchObject({
        status: 400, body: { error: "BadRequest", message: expect.stringMatching(/^the body is not JSON/) }
      })
      expect(yield* importJson(org, { email: "ada@example.com" })).toEqual({ status: 400, body: { error: "BadRequest", message: "expected a JSON array of contacts" } })
      expect(yield* importCsv(org, "name\nAda\n")).toEqual({ status: 400, body: { error: "BadRequest", message: "the header names none of the columns email, phone, whatsapp" } })
      expect(yield* importCsv(org, `email\n"ada@example.com\n`)).toMatchObject({ status: 400, body: { error: "BadRequest", message: expect.stringMatching(/^the CSV does not parse/) } })
      const tooMany = `email\n${Array.from({ length: 100_001 }, (_, i) => `u${i}@example.com`).join("\n")}`
      expect(yield* importCsv(org, tooMany)).toMatchObject({ status: 400, body: { error: "BadRequest", message: expect.stringMatching(/^100001 rows: at most 100000 rows per import/) } })
      const contacts = yield* ContactRepository
      expect(yield* contacts.findByAddresses(org, { email: ["ada@example.com", "u0@example.com"], phone: [], whatsapp: [] })).toEqual([])
    }))

  it.effect("an import of 100,000 rows creates them in one go and answers with the capped row list", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const csv = `email,phone\n${Array.from({ length: 100_000 }, (_, i) => `user${i}@example.com,+1555${String(i).padStart(7, "0")}`).join("\n")}`
      const result = report(yield* importCsv(org, csv))
      expect(result).toMatchObject({ created: 100_000, skipped: 0, invalid: 0, rows: [], rowsOmitted: 100_000 })
      const again = report(yield* importCsv(org, csv))
      expect(again).toMatchObject({ created: 0, skipped: 100_000, rowsOmitted: 99_000 })
      expect(again.rows).toHaveLength(1000)
    }))

  it.effect("a contact shows its addresses, flags, push tokens and its activity feed newest first", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      yield* providerEvents(org, [{ recipient: "ada@example.com", type: "bounced", data: { bounceKind: "hard", reason: "mailbox unknown" } }])
      const contacts = yield* ContactRepository
      const ada = Option.getOrThrow(yield* contacts.findByAddress(org, "email", "ada@example.com"))
      yield* call(org, `/suppressions/email/ada%40example.com`, { method: "DELETE", json: { reason: "address fixed" }, subject: "support-7" })
      const view = yield* call(org, `/contacts/${ada.id}`)
      expect(view).toEqual({
        status: 200,
        body: {
          id: ada.id, email: "ada@example.com", phone: null, whatsapp: null, telegram: null, inApp: null, attributes: {},
          bouncedChannels: ["email"], optedOut: [], pushTokens: [], lastEngagedAt: {},
          createdAt: expect.any(String), updatedAt: expect.any(String),
          activities: [
            { id: expect.any(Number), kind: "suppression_lifted", title: "Email suppression lifted by support-7", reason: "address fixed", deliveryId: null, occurredAt: expect.any(String) },
            { id: expect.any(Number), kind: "bounced", title: "Email bounced", reason: "mailbox unknown", deliveryId: expect.any(Number), occurredAt: expect.any(String) }
          ]
        }
      })
      const device = yield* contacts.ensure({ orgId: org, channel: "push", address: "device-token-1", contactId: null })
      yield* contacts.deactivatePushToken(org, "device-token-1", "unregistered")
      expect((yield* call(org, `/contacts/${device.id}`)).body).toMatchObject({ pushTokens: [{ token: "device-token-1", provider: "unknown", active: false }], activities: [] })
    }))

  it.effect("an org never sees another org's contacts, and its imports never touch them", () =>
    Effect.gen(function* () {
      const [acme, globex] = [unique("acme-"), unique("globex-")]
      const mine = contactIdOf(report(yield* importJson(acme, [{ email: "ada@example.com", name: "Acme's Ada" }])), 1)
      expect(yield* call(globex, `/contacts/${mine}`)).toEqual({ status: 404, body: { error: "NotFound", message: `no contact '${mine}'` } })
      const theirs = report(yield* importJson(globex, [{ email: "ada@example.com", name: "Globex's Ada" }]))
      expect(theirs).toMatchObject({ created: 1, skipped: 0 })
      expect(contactIdOf(theirs, 1)).not.toBe(mine)
      expect((yield* call(acme, `/contacts/${mine}`)).body).toMatchObject({ attributes: { name: "Acme's Ada" } })
      expect(yield* call(acme, "/contacts/no-such-contact")).toMatchObject({ status: 404, body: { error: "NotFound" } })
    }))

  it.effect("every contacts endpoint refuses a missing token with 401 and another org's token with 403", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const id = contactIdOf(report(yield* importJson(org, [{ email: "ada@example.com" }])), 1)
      for (const [path, request] of [["/contacts/import", { json: [{ email: "eve@example.com" }] }], [`/contacts/${id}`, {}]] as const) {
        expect(yield* call(org, path, { ...request, authorized: false })).toMatchObject({ status: 401, body: { error: "Unauthorized" } })
        expect(yield* call(org, path, { ...request, tokenOrg: "someone-else" })).toMatchObject({ status: 403, body: { error: "Forbidden" } })
      }
      const contacts = yield* ContactRepository
      expect(yield* contacts.findByAddresses(org, { email: ["eve@example.com"], phone: [], whatsapp: [] })).toEqual([])
    }))
})
