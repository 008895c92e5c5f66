import { Array, ParseResult, Predicate, Schema } from "effect"
import { DeliveryStatus, statusPrecedence } from "../domain/Delivery.js"

/**
 * Query parameters as Schemas: decoded before the handler runs, a bad one a 400 naming it
 * (ErrorShape.ts prefixes the field), and typed in /openapi.json through the `jsonSchema`
 * annotations (a transformation's document would otherwise be the plain string it decodes from).
 */

const maxPageSize = 1000

/** `pageSize`, `limit`: 100 when absent. */
export const PageSize = Schema.optionalWith(
  Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, maxPageSize)).annotations({
    message: () => ({ message: `expected a whole number from 1 to ${maxPageSize}`, override: true }),
    jsonSchema: { type: "integer", minimum: 1, maximum: maxPageSize, default: 100 }
  }),
  { default: () => 100 }
)

/** One of a few words (a channel, a list status): a wrong one is refused naming every allowed one. */
export const oneOf = <const Literals extends readonly [string, ...Array<string>]>(words: Schema.Literal<Literals>, what: string) =>
  words.annotations({
    message: (issue) => ({ message: `'${String(issue.actual)}' is not ${what}; expected ${words.literals.join(", ")}`, override: true })
  })

const isStatus = Schema.is(DeliveryStatus)

/** `sent,delivered`: each a delivery status, repeats dropped; empty or absent is every status. */
export const Statuses = Schema.optionalWith(
  Schema.transformOrFail(Schema.String, Schema.Array(DeliveryStatus), {
    strict: true,
    decode: (text, _, ast) => {
      const parts = text.split(",").map((part) => part.trim()).filter((part) => part !== "")
      const unknown = parts.find((part) => !isStatus(part))
      return unknown === undefined
        ? ParseResult.succeed(Array.dedupe(parts.filter(isStatus)))
        : ParseResult.fail(new ParseResult.Type(ast, text, `'${unknown}' is not a delivery status; expected ${statusPrecedence.join(", ")}`))
    },
    encode: (statuses) => ParseResult.succeed(statuses.join(","))
  }).annotations({
    jsonSchema: {
      type: "array", items: { type: "string", enum: statusPrecedence }, uniqueItems: true,
      description: "delivery statuses, comma separated; none is every status"
    }
  }),
  { default: () => [] }
)

/** ISO 8601, as `Schema.DateTimeUtc` reads it. Describe it on the schema: a struct with defaults drops a field's own description. */
export const Instant = Schema.DateTimeUtc.annotations({
  message: () => ({ message: "expected an ISO 8601 date or time", override: true }),
  description: "ISO 8601",
  jsonSchema: { format: "date-time" }
})

/** `true` or `false`. */
export const Flag = Schema.transform(oneOf(Schema.Literal("true", "false"), "a flag"), Schema.Boolean, {
  strict: true,
  decode: (text) => text === "true",
  encode: (flag) => (flag ? "true" : "false")
}).annotations({ jsonSchema: { type: "boolean" } })

/**
 * OpenAPI's form style repeats an array parameter (`status=a&status=b`) unless `explode` is false;
 * these lists are one comma-separated value. Annotates the root API.
 */
export const commaSeparatedLists = (spec: Record<string, unknown>) => {
  const entries = (value: unknown) => (Predicate.isRecord(value) ? Object.values(value) : [])
  for (const operation of entries(spec.paths).flatMap(entries)) {
    for (const parameter of Predicate.isRecord(operation) && Array.isArray(operation.parameters) ? operation.parameters : []) {
      if (Predicate.isRecord(parameter) && Predicate.isRecord(parameter.schema) && parameter.schema.type === "array") {
        Object.assign(parameter, { style: "form", explode: false })
      }
    }
  }
  return spec
}
