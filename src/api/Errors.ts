import { HttpApiSchema } from "@effect/platform"
import { Schema } from "effect"

/**
 * Client-facing errors share one JSON shape, `{ "error": <tag>, "message": <text> }`, and carry
 * their HTTP status as an annotation so the OpenAPI document lists them.
 */
const apiError = <const Tag extends string>(tag: Tag, status: number) =>
  Schema.Struct({ error: Schema.tag(tag), message: Schema.String }).annotations(
    HttpApiSchema.annotations({ status, identifier: tag })
  )

export const ServiceUnavailable = apiError("ServiceUnavailable", 503)
export type ServiceUnavailable = typeof ServiceUnavailable.Type
