import { Effect, Either } from "effect"
import { ActivityRepository } from "../storage/ActivityRepository.js"
import type { ContactAddresses, NewContact } from "../storage/ContactRepository.js"
import { ContactRepository } from "../storage/ContactRepository.js"
import { Transactor } from "../storage/Transactor.js"
import type { ParsedRow } from "./ImportRows.js"
import { parseCsv, parseJson, toNewContact } from "./ImportRows.js"

export type ImportFormat = "json" | "csv"

export interface RowOutcome {
  readonly row: number
  readonly outcome: "created" | "skipped" | "invalid"
  readonly reason?: string
  readonly contactId?: string
}

export interface ImportReport {
  readonly created: number
  readonly skipped: number
  readonly invalid: number
  readonly rows: ReadonlyArray<RowOutcome>
  /** Outcomes left out of `rows` (created rows of a large import first, then past `maxListedRows`). */
  readonly rowsOmitted: number
}

/** Up to this many rows every outcome is listed; past it only skipped and invalid rows, this many at most. */
export const maxListedRows = 1000

const columns = ["email", "phone", "whatsapp"] as const

const keysOf = (contact: Pick<NewContact, (typeof columns)[number]>) =>
  columns.flatMap((column) => contact[column] === null ? [] : [{ column, key: `${column}:${contact[column]}` }])

const report = (outcomes: ReadonlyArray<RowOutcome>): ImportReport => {
  const count = (outcome: RowOutcome["outcome"]) => outcomes.filter((o) => o.outcome === outcome).length
  const listed = outcomes.length <= maxListedRows
    ? outcomes
    : outcomes.filter((o) => o.outcome !== "created").slice(0, maxListedRows)
  return { created: count("created"), skipped: count("skipped"), invalid: count("invalid"), rows: listed, rowsOmitted: outcomes.length - listed.length }
}

/**
 * Contacts in bulk from a JSON array or a CSV. A row whose address already belongs to a contact is
 * skipped, never merged: re-importing an old list must not bring back an address that bounced or
 * opted out, so nothing about an existing contact (flags, suppressions, attributes) is touched.
 */
export class ContactImport extends Effect.Service<ContactImport>()("Sendtrail/ContactImport", {
  effect: Effect.gen(function* () {
    const contacts = yield* ContactRepository
    const activities = yield* ActivityRepository
    const { transaction } = yield* Transactor

    const apply = Effect.fn("ContactImport.apply")(function* (orgId: string, rows: ReadonlyArray<ParsedRow>) {
      const outcomes = new Map<number, RowOutcome>()
      const firstRowOf = new Map<string, number>()
      const candidates: Array<{ readonly row: number; readonly contact: NewContact }> = []
      for (const { row, input } of rows) {
        const checked = Either.flatMap(input, toNewContact)
        if (Either.isLeft(checked)) {
          outcomes.set(row, { row, outcome: "invalid", reason: checked.left })
          continue
        }
        const keys = keysOf(checked.right)
        const earlier = keys.find(({ key }) => firstRowOf.has(key))
        if (earlier !== undefined) {
          outcomes.set(row, { row, outcome: "skipped", reason: `same ${earlier.column} as row ${firstRowOf.get(earlier.key)}` })
          continue
        }
        for (const { key } of keys) firstRowOf.set(key, row)
        candidates.push({ row, contact: checked.right })
      }

      const pick = (column: (typeof columns)[number]) =>
        candidates.flatMap(({ contact }) => contact[column] === null ? [] : [contact[column]])
      const existing = yield* contacts.findByAddresses(orgId, { email: pick("email"), phone: pick("phone"), whatsapp: pick("whatsapp") })
      const owner = new Map(existing.flatMap((c: ContactAddresses) => keysOf(c).map(({ key }) => [key, c.id] as const)))

      const fresh: Array<{ readonly row: number; readonly contact: NewContact }> = []
      for (const candidate of candidates) {
        const match = keysOf(candidate.contact).find(({ key }) => owner.has(key))
        if (match === undefined) {
          fresh.push(candidate)
        } else {
          const contactId = owner.get(match.key)!
          outcomes.set(candidate.row, { row: candidate.row, outcome: "skipped", reason: `a contact with this ${match.column} exists`, contactId })
        }
      }
      const ids = yield* contacts.createMany(orgId, fresh.map(({ contact }) => contact))
      fresh.forEach(({ row }, i) => {
        const id = ids[i] ?? null
        outcomes.set(row, id === null
          ? { row, outcome: "skipped", reason: "a contact with one of these addresses was created meanwhile" }
          : { row, outcome: "created", contactId: id })
      })
      return report(rows.map(({ row }) => outcomes.get(row)!))
    })

    const run = Effect.fn("ContactImport.run")(function* (orgId: string, actor: string, format: ImportFormat, body: Uint8Array) {
      const rows = yield* (format === "json" ? parseJson(body) : parseCsv(body))
      return yield* transaction(Effect.gen(function* () {
        const result = yield* apply(orgId, rows)
        yield* activities.audit({
          orgId, actor, action: "contacts.imported", subject: "contacts",
          details: { format, rows: rows.length, created: result.created, skipped: result.skipped, invalid: result.invalid },
          sourceKey: null
        })
        return result
      }))
    })

    return { run } as const
  })
}) {}
