import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Schema } from "effect"

/**
 * Client-facing errors share one JSON shape, `{ "error": <tag>, "message": <text> }`, and carry
 * their HTTP status as an annotation so the OpenAPI document lists them.
 */
const apiError = <const Tag extends string>(tag: Tag, status: number, description: string) =>
  Schema.Struct({ error: Schema.tag(tag), message: Schema.String }).annotations(
    HttpApiSchema.annotations({ status, identifier: tag, description })
  )

export const BadRequest = apiError("BadRequest", 400, "The request is malformed; the message names the field")
export const ServiceUnavailable = apiError("ServiceUnavailable", 503, "A dependency (the database) does not answer")
export const Unauthorized = apiError("Unauthorized", 401, "Missing or wrong credentials")
export const NotFound = apiError("NotFound", 404, "No such resource")
export const Conflict = apiError("Conflict", 409, "The resource is not in a state that allows this")
export const Unprocessable = apiError("Unprocessable", 422, "The request is understood but cannot be carried out")
export const SignatureRejected = apiError("SignatureRejected", 401, "The webhook signature is missing or does not verify; nothing was stored")
export const PayloadRejected = apiError("PayloadRejected", 400, "The body verified but does not decode; it is kept in dead letters")
export const Forbidden = apiError("Forbidden", 403, "The credentials are known but wrong")
export const PayloadTooLarge = apiError("PayloadTooLarge", 413, "The body is over the size limit; nothing was read past it")
export const Overloaded = apiError("Overloaded", 503, "The pipeline is far behind; retry after the Retry-After seconds")

/** A 503 with Retry-After, which an error schema cannot carry: returned as a response instead. */
export const overloadedResponse = (message: string, retryAfterSeconds: number) =>
  HttpServerResponse.unsafeJson(
    { error: "Overloaded", message },
    { status: 503, headers: { "retry-after": String(retryAfterSeconds) } }
  )
export const UnsupportedMediaType = apiError("UnsupportedMediaType", 415, "The body's content-type is not one this endpoint reads")
