import { describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import type { ParsedRow } from "../../src/contacts/ImportRows.js"
import { maxImportRows, parseCsv, parseJson, toNewContact } from "../../src/contacts/ImportRows.js"

const bytes = (text: string) => new TextEncoder().encode(text)
const inputs = (rows: ReadonlyArray<ParsedRow>) => rows.map((r) => [r.row, Either.isRight(r.input) ? r.input.right : { invalid: r.input.left }])
const rejection = <A>(effect: Effect.Effect<A, { readonly _tag: string; readonly message: string }>) =>
  Effect.map(Effect.flip(effect), (e) => [e._tag, e.message])

describe("CSV rows", () => {
  it.effect("address columns are found whatever their case; other columns become attributes; empty cells are left out", () =>
    Effect.gen(function* () {
      const csv = "\uFEFFEmail,PHONE,Name,plan,Signed Up\r\nAda@Example.com, +44 20 7946 0958 ,Ada,pro,\r\n\r\n,+15550100,,,2024-01-02\r\n"
      expect(inputs(yield* parseCsv(bytes(csv)))).toEqual([
        [1, { email: "Ada@Example.com", phone: "+44 20 7946 0958", whatsapp: undefined, attributes: { name: "Ada", plan: "pro" } }],
        [2, { email: undefined, phone: "+15550100", whatsapp: undefined, attributes: { "Signed Up": "2024-01-02" } }]
      ])
    }))

  it.effect("quoted fields keep their commas and line breaks; a row of the wrong width is invalid on its own", () =>
    Effect.gen(function* () {
      const csv = `email,note\n"a@example.com","line one\nline two, still"\nb@example.com\nc@example.com,x,extra\n,,\n`
      expect(inputs(yield* parseCsv(bytes(csv)))).toEqual([
        [1, { email: "a@example.com", phone: undefined, whatsapp: undefined, attributes: { note: "line one\nline two, still" } }],
        [2, { invalid: "expected 2 fields as in the header, got 1" }],
        [3, { invalid: "expected 2 fields as in the header, got 3" }]
      ])
    }))

  it.effect("a file without a usable header, or one that does not parse, is refused whole", () =>
    Effect.gen(function* () {
      expect(yield* rejection(parseCsv(bytes("")))).toEqual(["ImportRejected", expect.stringMatching(/empty/)])
      expect(yield* rejection(parseCsv(bytes("name,plan\nAda,pro\n")))).toEqual(["ImportRejected", "the header names none of the columns email, phone, whatsapp"])
      expect(yield* rejection(parseCsv(bytes("email,Email\n")))).toEqual(["ImportRejected", `the header names the column "email" twice`])
      expect(yield* rejection(parseCsv(bytes("email,,plan\n")))).toEqual(["ImportRejected", "the header's column 2 has no name"])
      expect(yield* rejection(parseCsv(bytes(`email\n"ada@example.com\n`)))).toEqual(["ImportRejected", expect.stringMatching(/^the CSV does not parse: /)])
      expect(yield* rejection(parseCsv(new Uint8Array([0x65, 0x6d, 0xff, 0xfe])))).toEqual(["ImportRejected", "the body is not UTF-8 text"])
      const tooLong = `email\n${"a@example.com\n".repeat(maxImportRows + 1)}`
      expect(yield* rejection(parseCsv(bytes(tooLong)))).toEqual(["ImportRejected", `${maxImportRows + 1} rows: at most ${maxImportRows} rows per import; split the file`])
    }))
})

describe("JSON rows", () => {
  it.effect("name and unknown keys join the attributes; nulls and blanks count as absent", () =>
    Effect.gen(function* () {
      const body = [
        { email: "ada@example.com", name: "Ada", attributes: { plan: "pro", seats: 3 }, source: "crm" },
        { email: null, phone: " ", whatsapp: "+15550100", name: "" }
      ]
      expect(inputs(yield* parseJson(bytes(JSON.stringify(body))))).toEqual([
        [1, { email: "ada@example.com", phone: undefined, whatsapp: undefined, attributes: { source: "crm", plan: "pro", seats: 3, name: "Ada" } }],
        [2, { email: undefined, phone: undefined, whatsapp: "+15550100", attributes: {} }]
      ])
    }))

  it.effect("an element that is not a contact object is invalid on its own, naming the field", () =>
    Effect.gen(function* () {
      const rows = yield* parseJson(bytes(JSON.stringify([42, ["a@example.com"], { email: 7 }, { email: "a@example.com", attributes: "pro" }])))
      expect(inputs(rows)).toEqual([
        [1, { invalid: "expected an object with email, phone or whatsapp" }],
        [2, { invalid: "expected an object with email, phone or whatsapp" }],
        [3, { invalid: expect.stringMatching(/^email: /) }],
        [4, { invalid: expect.stringMatching(/^attributes: /) }]
      ])
    }))

  it.effect("a body that is not JSON, or not an array, is refused whole", () =>
    Effect.gen(function* () {
      expect(yield* rejection(parseJson(bytes("[{")))).toEqual(["ImportRejected", expect.stringMatching(/^the body is not JSON: /)])
      expect(yield* rejection(parseJson(bytes(`{"email":"ada@example.com"}`)))).toEqual(["ImportRejected", "expected a JSON array of contacts"])
    }))
})

describe("a row's contact", () => {
  it("addresses come out canonical: emails lower-cased, numbers without their formatting", () => {
    expect(toNewContact({ email: " Ada@Example.COM ", phone: "+44 (20) 7946-0958", whatsapp: "+1.555.010.0199", attributes: { name: "Ada" } }))
      .toEqual(Either.right({ email: "ada@example.com", phone: "+442079460958", whatsapp: "+15550100199", attributes: { name: "Ada" } }))
  })

  it("a row with no address, a malformed email or a number not in E.164 is invalid, saying which field", () => {
    const row = (fields: { email?: string; phone?: string; whatsapp?: string }) =>
      toNewContact({ email: fields.email, phone: fields.phone, whatsapp: fields.whatsapp, attributes: {} })
    expect(row({})).toEqual(Either.left("no address: expected email, phone or whatsapp"))
    expect(row({ email: "ada.example.com" })).toEqual(Either.left(`email: not an email address: "ada.example.com"`))
    expect(row({ email: "ada@localhost" })).toEqual(Either.left(`email: not an email address: "ada@localhost"`))
    expect(row({ email: "ada@example.com", phone: "020 7946 0958" })).toEqual(Either.left(`phone: not a phone number in E.164 form (+ and 7 to 15 digits): "020 7946 0958"`))
    expect(row({ whatsapp: "+0123456789" })).toEqual(Either.left(`whatsapp: not a phone number in E.164 form (+ and 7 to 15 digits): "+0123456789"`))
  })
})
