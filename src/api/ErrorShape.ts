import { HttpApiBuilder, HttpApiError, HttpServerResponse } from "@effect/platform"
import { Cause, Effect } from "effect"

const summary = (error: HttpApiError.HttpApiDecodeError): string => {
  const issue = error.issues[0]
  if (issue === undefined) return error.message
  return issue.path.length === 0 ? issue.message : `${issue.path.join(".")}: ${issue.message}`
}

/**
 * The platform answers a request that does not match an endpoint's schema with its own
 * `{ "_tag": "HttpApiDecodeError", … }`; this gives it the shape of every other error,
 * `{ "error": "BadRequest", "message": … }`, naming the first field that failed and keeping the issues.
 */
export const UniformDecodeErrors = HttpApiBuilder.middleware((app) =>
  Effect.catchAllCause(app, (cause) => {
    const failure = Cause.squash(cause)
    return failure instanceof HttpApiError.HttpApiDecodeError
      ? Effect.succeed(HttpServerResponse.unsafeJson({ error: "BadRequest", message: summary(failure), issues: failure.issues }, { status: 400 }))
      : Effect.failCause(cause)
  }))
