import { describe, expect, it } from "@effect/vitest"
import { FastCheck } from "effect"
import { jsonTextProblem, maxJsonDepth } from "../../src/domain/JsonText.js"

const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`

describe("JSON text checked before parsing", () => {
  it("nesting up to the limit passes; one level more is refused naming the limit, brackets in strings do not count", () => {
    expect(jsonTextProblem(nested(maxJsonDepth))).toBeUndefined()
    expect(jsonTextProblem(nested(maxJsonDepth + 1))).toBe(`the body nests deeper than ${maxJsonDepth} levels`)
    expect(jsonTextProblem("[".repeat(200_000))).toBe(`the body nests deeper than ${maxJsonDepth} levels`)
    expect(jsonTextProblem(new TextEncoder().encode(nested(maxJsonDepth + 1)))).toBe(`the body nests deeper than ${maxJsonDepth} levels`)
    expect(jsonTextProblem(JSON.stringify({ a: "[".repeat(1000), b: "{\\\"[" }))).toBeUndefined()
  })

  it("a NUL or lone surrogate escape is refused naming its field; a surrogate pair and escaped backslashes are not", () => {
    expect(jsonTextProblem(JSON.stringify([{ id: "e1", data: { reason: "a\u0000b" } }]))).toMatch(/^\[0\]\.data\.reason: text must not hold NUL/)
    expect(jsonTextProblem(JSON.stringify({ recipient: "\ud800" }))).toMatch(/^recipient: /)
    expect(jsonTextProblem(JSON.stringify({ recipient: "x\udfff" }))).toMatch(/^recipient: /)
    expect(jsonTextProblem(JSON.stringify({ ["k\u0000"]: 1 }))).toMatch(/^k\u0000: /)
    expect(jsonTextProblem(JSON.stringify({ emoji: "\ud83d\ude00", path: "C:\\u0000" }))).toBeUndefined()
    expect(jsonTextProblem('{"emoji":"\\ud83d\\ude00"}')).toBeUndefined()
  })

  it("any JSON value within the depth passes unless a string holds NUL or a lone surrogate, whatever the other text", () => {
    const unstorable = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/
    FastCheck.assert(FastCheck.property(FastCheck.jsonValue({ maxDepth: 20 }), FastCheck.string16bits({ maxLength: 8 }), (value, text) => {
      const json = JSON.stringify({ value, text })
      const problem = jsonTextProblem(json)
      // The bytes of a body get the same answer as its text.
      if (jsonTextProblem(new TextEncoder().encode(json)) !== problem) return false
      return unstorable.test(text) ? problem?.startsWith("text: ") === true : problem === undefined
    }), { numRuns: 500, seed: 11 })
  })
})
