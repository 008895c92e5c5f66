import * as OpenApi from "@effect/platform/OpenApi"
import { describe, expect, it } from "@effect/vitest"
import { Api } from "../../src/api/Api.js"
import { webhookRoutes } from "../../src/api/Webhooks.js"
import { statusPrecedence } from "../../src/domain/Delivery.js"

const spec = OpenApi.fromApi(Api)

const queryParameters = Object.entries(spec.paths).flatMap(([path, operations]) =>
  Object.entries(operations).flatMap(([method, operation]) =>
    (operation?.parameters ?? []).filter((parameter) => parameter.in === "query").map((parameter) => ({ at: `${method} ${path} ${parameter.name}`, parameter }))))

const query = (path: string, name: string) => {
  const found = spec.paths[path]?.get?.parameters.find((parameter) => parameter.in === "query" && parameter.name === name)
  if (found === undefined) throw new Error(`no query parameter ${name} on ${path}`)
  return found
}

/** Free text by nature: ids, an address, and the tracking links' token and target (checked by the handler, which answers a page). */
const freeText = new Set(["orgId", "recipient", "broadcastId", "t", "url"])

describe("the OpenAPI description of query parameters", () => {
  it("the report's status is a comma-separated list of every delivery status, pageSize an integer from 1 to 1000, cursor base64url", () => {
    expect(query("/broadcast/{id}/report", "status")).toMatchObject({
      style: "form", explode: false, schema: { type: "array", items: { enum: [...statusPrecedence] }, uniqueItems: true }
    })
    expect(query("/broadcast/{id}/report", "pageSize").schema).toMatchObject({ type: "integer", minimum: 1, maximum: 1000 })
    expect(query("/broadcast/{id}/report", "cursor").schema).toMatchObject({ type: "string", pattern: "^[A-Za-z0-9_-]+$" })
  })

  it("the activity feed's dates are date-times and its limit an integer from 1 to 1000", () => {
    expect(query("/broadcast/activity", "startDate").schema).toMatchObject({ type: "string", format: "date-time" })
    expect(query("/broadcast/activity", "endDate").schema).toMatchObject({ type: "string", format: "date-time" })
    expect(query("/broadcast/activity", "limit").schema).toMatchObject({ type: "integer", minimum: 1, maximum: 1000 })
  })

  it("every other query parameter is typed: an enum, a number, a boolean, a format or a pattern, unless it is free text", () => {
    expect(queryParameters.length).toBeGreaterThan(20)
    const untyped = queryParameters.filter(({ parameter }) => {
      const { schema } = parameter
      const typed = !("type" in schema) || schema.type !== "string" || "enum" in schema || "format" in schema || "pattern" in schema
      return !freeText.has(parameter.name) && !typed
    })
    expect(untyped.map(({ at }) => at)).toEqual([])
    // A transformation documented as the string it decodes from ("a string to be decoded into a number").
    expect(queryParameters.filter(({ parameter }) => /decoded into/.test(parameter.description ?? "")).map(({ at }) => at)).toEqual([])
  })
})

describe("the OpenAPI description of org routes", () => {
  it("every route behind the bearer scheme declares the orgid header, so Swagger's Try it out sends it", () => {
    const operations = Object.entries(spec.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ at: `${method} ${path}`, operation })))
    const bearer = operations.filter(({ operation }) => operation?.security?.some((scheme) => "bearer" in scheme) === true)
    expect(bearer.map(({ at }) => at)).toEqual(expect.arrayContaining(["get /broadcast/{id}/report", "post /suppressions", "post /broadcast"]))
    const withoutHeader = bearer.filter(({ operation }) =>
      !(operation?.parameters ?? []).some((parameter) => parameter.in === "header" && parameter.name === "orgid" && parameter.required === true))
    expect(withoutHeader.map(({ at }) => at)).toEqual([])
  })
})

describe("the OpenAPI description of raw bodies", () => {
  it("every webhook route and the contact import declare their request bodies; the generic format in full", () => {
    const posts = Object.entries(spec.paths).flatMap(([path, methods]) => (methods.post === undefined ? [] : [{ path, operation: methods.post }]))
    const raw = posts.filter(({ path }) => path.startsWith("/connect/webhook/") || path === "/api/ses-events" || path === "/contacts/import")
    expect(raw.length).toBe(webhookRoutes.length + 1)
    expect(raw.filter(({ operation }) => operation.requestBody === undefined).map(({ path }) => path)).toEqual([])
    expect(spec.paths["/connect/webhook/twilio/status"]?.post?.requestBody?.content).toHaveProperty("application/x-www-form-urlencoded")
    expect(spec.paths["/contacts/import"]?.post?.requestBody?.content).toHaveProperty("text/csv")
    const generic = JSON.stringify(spec.paths["/connect/webhook/generic"]?.post?.requestBody)
    for (const field of ["messageId", "recipient", "timestamp", "date-time", "soft_bounced"]) expect(generic).toContain(field)
  })
})


describe("the OpenAPI description of the read endpoints", () => {
  it("lists the broadcasts, a broadcast's recipients (JSON and CSV), the org's sender accounts and its audit log, with typed parameters", () => {
    expect(query("/broadcast", "limit").schema).toMatchObject({ type: "integer", minimum: 1, maximum: 1000 })
    expect(query("/broadcast", "cursor").schema).toMatchObject({ type: "string", pattern: "^[A-Za-z0-9_-]+$" })
    expect(query("/broadcast/{id}/recipients", "status").schema).toMatchObject({ enum: ["listed", "removed"] })
    expect(query("/broadcast/{id}/recipients", "channel").schema).toMatchObject({ enum: ["email", "sms", "whatsapp", "push", "telegram", "in_app"] })
    expect(query("/broadcast/{id}/recipients.csv", "status").schema).toMatchObject({ enum: ["listed", "removed"] })
    expect(spec.paths["/broadcast/{id}/recipients.csv"]?.get?.responses[200]?.content).toHaveProperty(["text/csv"])
    expect(query("/sender-accounts", "flagged").schema).toMatchObject({ type: "boolean" })
    expect(query("/audit", "from").schema).toMatchObject({ type: "string", format: "date-time" })
    expect(query("/audit", "to").schema).toMatchObject({ type: "string", format: "date-time" })
    expect(query("/audit", "action").schema).toMatchObject({ type: "string", pattern: expect.any(String) })
    expect(query("/audit", "subject").schema).toMatchObject({ type: "string", pattern: expect.any(String) })
    expect(query("/audit", "limit").schema).toMatchObject({ type: "integer", minimum: 1, maximum: 1000 })
  })
})
