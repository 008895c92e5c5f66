import { HttpApiBuilder, HttpApiError, HttpServerError, HttpServerResponse } from "@effect/platform"
import { Cause, Effect } from "effect"

const summary = (error: HttpApiError.HttpApiDecodeError): string => {
  const issue = error.issues[0]
  if (issue === undefined) return error.message
  return issue.path.length === 0 ? issue.message : `${issue.path.join(".")}: ${issue.message}`
}

const badRequest = (message: string, issues: ReadonlyArray<unknown> = []) =>
  Effect.succeed(HttpServerResponse.unsafeJson({ error: "BadRequest", message, issues }, { status: 400 }))

/**
 * The platform answers a request that does not match an endpoint's schema with its own
 * `{ "_tag": "HttpApiDecodeError", … }`, and a body that is not JSON with an empty 400; this gives
 * both the shape of every other error, `{ "error": "BadRequest", "message": … }`.
 */
export const UniformDecodeErrors = HttpApiBuilder.middleware((app) =>
  Effect.catchAllCause(app, (cause) => {
    const failure = Cause.squash(cause)
    if (failure instanceof HttpApiError.HttpApiDecodeError) return badRequest(summary(failure), failure.issues)
    if (failure instanceof HttpServerError.RequestError && failure.reason === "Decode") {
      return badRequest(`the body could not be read as the endpoint expects (JSON, form): ${failure.description ?? "malformed"}`)
    }
    return Effect.failCause(cause)
  }))
