import * as OpenApi from "@effect/platform/OpenApi"
import { describe, expect, it } from "@effect/vitest"
import { Api } from "../../src/api/Api.js"

const spec = OpenApi.fromApi(Api)

const query = (path: string, name: string) => {
  const found = spec.paths[path]?.get?.parameters.find((parameter) => parameter.in === "query" && parameter.name === name)
  if (found === undefined) throw new Error(`no query parameter ${name} on ${path}`)
  return found.schema
}

describe("the OpenAPI description of the read endpoints", () => {
  it("lists the broadcasts, a broadcast's recipients (JSON and CSV), the org's sender accounts and its audit log, with typed parameters", () => {
    expect(query("/broadcast", "limit")).toMatchObject({ type: "integer", minimum: 1, maximum: 1000 })
    expect(query("/broadcast", "cursor")).toMatchObject({ type: "string", pattern: "^[A-Za-z0-9_-]+$" })
    expect(query("/broadcast/{id}/recipients", "status")).toMatchObject({ enum: ["listed", "removed"] })
    expect(query("/broadcast/{id}/recipients", "channel")).toMatchObject({ enum: ["email", "sms", "whatsapp", "push", "telegram", "in_app"] })
    expect(query("/broadcast/{id}/recipients.csv", "status")).toMatchObject({ enum: ["listed", "removed"] })
    expect(spec.paths["/broadcast/{id}/recipients.csv"]?.get?.responses[200]?.content).toHaveProperty(["text/csv"])
    expect(query("/sender-accounts", "flagged")).toMatchObject({ type: "boolean" })
    expect(query("/audit", "from")).toMatchObject({ type: "string", format: "date-time" })
    expect(query("/audit", "to")).toMatchObject({ type: "string", format: "date-time" })
    expect(query("/audit", "action")).toMatchObject({ type: "string", pattern: expect.any(String) })
    expect(query("/audit", "subject")).toMatchObject({ type: "string", pattern: expect.any(String) })
    expect(query("/audit", "limit")).toMatchObject({ type: "integer", minimum: 1, maximum: 1000 })
  })
})
