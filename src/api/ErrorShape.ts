import * as HttpApiError from "@effect/platform/HttpApiError"
import * as HttpServerError from "@effect/platform/HttpServerError"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Cause, Effect } from "effect"
import { jsonTextProblem, urlTextProblem } from "../domain/JsonText.js"

const expectation = /^Expected (.+), actual (.+)$/

/**
 * The first wrong field. A union's alternatives come as one issue each ("Expected \"email\"", then
 * "Expected \"sms\"", … and an optional field's "Expected undefined"): they are named together.
 */
const summary = (error: HttpApiError.HttpApiDecodeError): string => {
  const [first] = error.issues
  if (first === undefined) return error.message
  const field = first.path.join(".")
  const expected = error.issues.filter((issue) => issue.path.join(".") === field).map((issue) => expectation.exec(issue.message))
  const alternatives = expected.filter((match) => match?.[1] !== "undefined")
  const message = alternatives.length > 1 && alternatives.every((match) => match !== null)
    ? `expected one of ${alternatives.map((match) => match?.[1]).join(", ")}; got ${alternatives[0]?.[2]}`
    : first.message
  return field === "" ? message : `${field}: ${message}`
}

/** `issues` is left out when undefined (JSON has no undefined). */
const badRequest = (message: string, issues?: ReadonlyArray<unknown>) =>
  Effect.succeed(HttpServerResponse.unsafeJson({ error: "BadRequest", message, issues }, { status: 400 }))

/** For one wrong field the message says it all (an optional one adds an "Expected undefined" echo); for several, each is listed. */
const issuesOfSeveralFields = (error: HttpApiError.HttpApiDecodeError) =>
  new Set(error.issues.map((issue) => issue.path.join("."))).size > 1 ? error.issues : undefined

/**
 * The platform answers a request that does not match an endpoint's schema with its own
 * `{ "_tag": "HttpApiDecodeError", … }`, and a body that is not JSON with an empty 400; this gives
 * both the shape of every other error, `{ "error": "BadRequest", "message": … }`.
 */
export const uniformDecodeErrors = <E, R>(app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
  Effect.catchAllCause(app, (cause) => {
    const failure = Cause.squash(cause)
    if (failure instanceof HttpApiError.HttpApiDecodeError) return badRequest(summary(failure), issuesOfSeveralFields(failure))
    if (failure instanceof HttpServerError.RequestError && failure.reason === "Decode") {
      return badRequest(`the body could not be read as the endpoint expects (JSON, form): ${failure.description ?? "malformed"}`)
    }
    return Effect.failCause(cause)
  })

/** Routes that read their raw bytes themselves (signatures, imports) and check them there. */
const readsRawBytes = (url: string) =>
  url.startsWith("/connect/webhook/") || url.startsWith("/api/ses-events") || url.startsWith("/api/telegram/") || url.startsWith("/contacts/import")

/**
 * A JSON body nested past the limit, or holding text PostgreSQL cannot store, is refused with 400
 * before the API parses it (the parser would overflow its stack; the database would refuse the row).
 * The platform caches the text it reads here for the endpoint's own decoding.
 */
export const jsonBodyLimits = <E, R>(request: HttpServerRequest.HttpServerRequest, app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
  request.method === "GET" || !(request.headers["content-type"] ?? "").includes("json") || readsRawBytes(request.url)
    ? app
    : Effect.flatMap(Effect.orElseSucceed(request.text, () => ""), (text) => {
      const problem = jsonTextProblem(text)
      return problem === undefined ? app : badRequest(problem)
    })

/** A path or query holding text PostgreSQL cannot store names nothing: 400 naming it, before any handler. */
export const storableUrl = <E, R>(request: HttpServerRequest.HttpServerRequest, app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) => {
  const problem = urlTextProblem(request.url)
  return problem === undefined ? app : badRequest(problem)
}
