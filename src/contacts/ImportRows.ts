import { parse } from "csv-parse/sync"
import { Data, Effect, Either, ParseResult, Schema } from "effect"
import { jsonTextProblem } from "../domain/JsonText.js"
import type { NewContact } from "../storage/ContactRepository.js"
import { checkEmail, checkPhone } from "./Addresses.js"

export const maxImportRows = 100_000

/** The whole body is refused: nothing was imported. */
export class ImportRejected extends Data.TaggedError("ImportRejected")<{ readonly message: string }> {}

/** One row as given, before its addresses are checked. */
export interface RowInput {
  readonly email: string | undefined
  readonly phone: string | undefined
  readonly whatsapp: string | undefined
  readonly attributes: Record<string, unknown>
}

/** A row numbered from 1 among the data rows (a CSV header is not counted), read or refused on its own. */
export interface ParsedRow {
  readonly row: number
  readonly input: Either.Either<RowInput, string>
}

const addressColumns = ["email", "phone", "whatsapp"] as const

const decodeUtf8 = (bytes: Uint8Array) =>
  Effect.try({
    try: () => new TextDecoder("utf-8", { fatal: true }).decode(bytes),
    catch: () => new ImportRejected({ message: "the body is not UTF-8 text" })
  })

const tooMany = (rows: number) =>
  new ImportRejected({ message: `${rows} rows: at most ${maxImportRows} rows per import; split the file` })

const Text = Schema.optional(Schema.NullOr(Schema.String))

/** Keys other than the known ones are kept as attributes, as a CSV's extra columns are. */
const JsonRow = Schema.Struct(
  { email: Text, phone: Text, whatsapp: Text, name: Text, attributes: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown })) },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)
const decodeJsonRow = Schema.decodeUnknownEither(JsonRow)

const firstIssue = (error: ParseResult.ParseError): string => {
  const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
  if (issue === undefined) return error.message
  return issue.path.length === 0 ? issue.message : `${issue.path.join(".")}: ${issue.message}`
}

const present = (value: string | null | undefined) => {
  const trimmed = value?.trim()
  return trimmed === undefined || trimmed === "" ? undefined : trimmed
}

const jsonRow = (value: unknown): Either.Either<RowInput, string> => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return Either.left("expected an object with email, phone or whatsapp")
  }
  return Either.match(decodeJsonRow(value), {
    onLeft: (error) => Either.left(firstIssue(error)),
    onRight: ({ email, phone, whatsapp, name, attributes, ...extras }) => {
      const named = present(name)
      return Either.right({
        email: present(email),
        phone: present(phone),
        whatsapp: present(whatsapp),
        attributes: { ...extras, ...attributes, ...(named === undefined ? {} : { name: named }) }
      })
    }
  })
}

/** A JSON array of `{ email?, phone?, whatsapp?, name?, attributes? }`. */
export const parseJson = Effect.fn("ImportRows.parseJson")(function* (bytes: Uint8Array) {
  const text = yield* decodeUtf8(bytes)
  const problem = jsonTextProblem(text)
  if (problem !== undefined) return yield* new ImportRejected({ message: problem })
  const body = yield* Effect.try({
    try: (): unknown => JSON.parse(text),
    catch: (e) => new ImportRejected({ message: `the body is not JSON: ${e instanceof Error ? e.message : String(e)}` })
  })
  if (!Array.isArray(body)) return yield* new ImportRejected({ message: "expected a JSON array of contacts" })
  if (body.length > maxImportRows) return yield* tooMany(body.length)
  return body.map((value: unknown, i): ParsedRow => ({ row: i + 1, input: jsonRow(value) }))
})

const knownColumns: ReadonlySet<string> = new Set([...addressColumns, "name"])

const csvHeader = (header: ReadonlyArray<string>): Either.Either<ReadonlyArray<string>, string> => {
  const names = header.map((name) => knownColumns.has(name.toLowerCase()) ? name.toLowerCase() : name)
  const blank = names.findIndex((name) => name === "")
  if (blank >= 0) return Either.left(`the header's column ${blank + 1} has no name`)
  const repeated = names.find((name, i) => names.indexOf(name) !== i)
  if (repeated !== undefined) return Either.left(`the header names the column ${JSON.stringify(repeated)} twice`)
  if (!names.some((name) => addressColumns.some((column) => column === name))) {
    return Either.left("the header names none of the columns email, phone, whatsapp")
  }
  return Either.right(names)
}

const csvRow = (names: ReadonlyArray<string>, fields: ReadonlyArray<string>): Either.Either<RowInput, string> => {
  if (fields.length !== names.length) return Either.left(`expected ${names.length} fields as in the header, got ${fields.length}`)
  const cells = new Map(names.flatMap((name, i) => {
    const value = present(fields[i])
    return value === undefined ? [] : [[name, value] as const]
  }))
  const attributes = Object.fromEntries([...cells].filter(([name]) => !addressColumns.some((column) => column === name)))
  return Either.right({ email: cells.get("email"), phone: cells.get("phone"), whatsapp: cells.get("whatsapp"), attributes })
}

/** A CSV with a header row; columns email, phone, whatsapp, name (any case), every other column an attribute. */
export const parseCsv = Effect.fn("ImportRows.parseCsv")(function* (bytes: Uint8Array) {
  const text = yield* decodeUtf8(bytes)
  const records = yield* Effect.try({
    try: () => parse(text, { bom: true, trim: true, relax_column_count: true, skip_empty_lines: true, skip_records_with_empty_values: true }),
    catch: (e) => new ImportRejected({ message: `the CSV does not parse: ${e instanceof Error ? e.message : String(e)}` })
  })
  const [header, ...data] = records
  if (header === undefined) return yield* new ImportRejected({ message: "the CSV is empty: expected a header row, then one contact a row" })
  const names = yield* Either.mapLeft(csvHeader(header), (message) => new ImportRejected({ message }))
  if (data.length > maxImportRows) return yield* tooMany(data.length)
  return data.map((fields, i): ParsedRow => ({ row: i + 1, input: csvRow(names, fields) }))
})

/** The row's contact with its addresses in canonical form, or why it cannot be imported. */
export const toNewContact = (input: RowInput): Either.Either<NewContact, string> => {
  if (input.email === undefined && input.phone === undefined && input.whatsapp === undefined) {
    return Either.left("no address: expected email, phone or whatsapp")
  }
  const checked = (field: string, value: string | undefined, check: (raw: string) => Either.Either<string, string>) =>
    value === undefined
      ? Either.right(null)
      : Either.mapLeft(check(value), (reason) => `${field}: ${reason}`)
  return Either.all({
    email: checked("email", input.email, checkEmail),
    phone: checked("phone", input.phone, checkPhone),
    whatsapp: checked("whatsapp", input.whatsapp, checkPhone)
  }).pipe(Either.map((addresses) => ({ ...addresses, attributes: input.attributes })))
}
