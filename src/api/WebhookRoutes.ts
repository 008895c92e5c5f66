import { DateTime, Effect, Runtime } from "effect"
import { AppConfig } from "../AppConfig.js"
import { urlTextProblem } from "../domain/JsonText.js"
import type { Source, UnknownConnection } from "../ingest/Receiver.js"
import { Receiver } from "../ingest/Receiver.js"
import type { InboxOverloaded } from "../ingest/Inbox.js"
import { OpsMetrics } from "../metrics/OpsMetrics.js"
import { causeLabel } from "./MetricsHttp.js"
import type { PayloadRejected, SignatureRejected } from "../providers/Webhook.js"
import type { WebhookRoute } from "./Webhooks.js"
import { webhookRoutes } from "./Webhooks.js"

const rejectionError = { 401: "SignatureRejected", 403: "Forbidden", 503: "ServiceUnavailable" } as const

/** A refusal in the house error shape (api/Errors.ts): status, body, extra headers. */
export interface Refusal {
  readonly status: number
  readonly body: { readonly error: string; readonly message: string }
  readonly headers?: Record<string, string>
}

const refusal = (status: number, error: string, message: string, headers?: Record<string, string>): Refusal =>
  headers === undefined ? { status, body: { error, message } } : { status, body: { error, message }, headers }

/** How every webhook route answers what it refuses: events here, replies and bot updates in WebhooksHttp. */
export const refusals = {
  tooLarge: (limit: number) => refusal(413, "PayloadTooLarge", `the body is larger than ${limit} bytes`),
  badUrl: (problem: string) => refusal(400, "BadRequest", problem),
  UnknownConnection: (e: UnknownConnection) => refusal(404, "NotFound", e.message),
  SignatureRejected: (e: SignatureRejected) => refusal(e.status ?? 401, rejectionError[e.status ?? 401], `${e.check}: ${e.message}`),
  PayloadRejected: (e: PayloadRejected) => refusal(400, "PayloadRejected", e.message),
  InboxOverloaded: (e: InboxOverloaded) =>
    refusal(503, "Overloaded", `${e.backlog} events wait to be applied`, { "retry-after": String(e.retryAfterSeconds) })
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } })

/** Bun's route syntax is the router's (`:name`); the values arrive on the request. */
type RoutedRequest = Request & { readonly params: Readonly<Record<string, string>> }

/** Whose webhook a route receives, from its path parameters. */
export const sourceOf = (route: WebhookRoute, params: Readonly<Record<string, string | undefined>>): Source =>
  route.owner === "default" ? { _tag: "Default" }
    : route.owner === "connection" ? { _tag: "Connection", id: params.connectionId ?? "" }
    : { _tag: "Org", orgId: params.orgId ?? "" }

/** The path and query of an absolute request URL, without parsing it (a URL object costs more than the rest of the routing). */
const pathAndQuery = (url: string) => url.slice(url.indexOf("/", url.indexOf("//") + 2))

/** The exact bytes, or undefined past `limit`: a declared length is checked first, a streamed body as it arrives. */
const readBody = async (request: Request, limit: number): Promise<Uint8Array | undefined> => {
  const declared = Number(request.headers.get("content-length") ?? Number.NaN)
  if (declared > limit) return undefined
  if (Number.isSafeInteger(declared)) return new Uint8Array(await request.arrayBuffer())
  const chunks: Array<Uint8Array> = []
  let size = 0
  for await (const chunk of request.body ?? []) {
    size += chunk.length
    if (size > limit) return undefined
    chunks.push(chunk)
  }
  return Buffer.concat(chunks, size)
}

/**
 * The providers' event webhooks as routes of Bun's server itself, ahead of the Effect HTTP stack: a
 * webhook is the hot path and needs nothing of that stack (the body is read raw, refusals are this
 * module's), which cost a quarter of the CPU of an acknowledgement (docs/benchmarks.md, issue 13). The
 * receiver runs in the service's runtime, as before; replies and bot updates stay router routes
 * (api/WebhooksHttp.ts). Requests are timed and 5xx counted under the route's template, as the
 * middleware does for every other route.
 */
export const webhookBunRoutes = Effect.gen(function* () {
  const config = yield* AppConfig
  const receiver = yield* Receiver
  const ops = yield* OpsMetrics
  const run = Runtime.runPromise(yield* Effect.runtime<never>())
  const limit = config.webhookMaxBodyBytes

  /** What a webhook is answered: a body (none for a defect), and what a 5xx is counted under. */
  type Answer = { readonly status: number; readonly body: object | null; readonly headers?: Record<string, string>; readonly cause: string }
  const refused = (r: Refusal): Answer => ({ ...r, cause: r.body.error })

  const answer = (route: WebhookRoute, request: RoutedRequest, rawBody: Uint8Array) =>
    receiver.receive(route.vendor, sourceOf(route, request.params), {
      rawBody,
      headers: Object.fromEntries(request.headers),
      url: `${config.publicBaseUrl}${pathAndQuery(request.url)}`,
      receivedAt: DateTime.unsafeNow()
    }).pipe(
      Effect.map(({ accepted, duplicates }): Answer => ({ status: 200, body: { accepted, duplicates }, cause: "" })),
      Effect.catchTags({
        UnknownConnection: (e) => Effect.succeed(refused(refusals.UnknownConnection(e))),
        SignatureRejected: (e) => Effect.succeed(refused(refusals.SignatureRejected(e))),
        PayloadRejected: (e) => Effect.succeed(refused(refusals.PayloadRejected(e))),
        InboxOverloaded: (e) => Effect.succeed(refused(refusals.InboxOverloaded(e)))
      }),
      // A defect (the database gone) is a bare 500, as elsewhere, logged and counted by its cause.
      Effect.catchAllCause((cause) => Effect.as(Effect.logError("webhook failed", cause), { status: 500, body: null, cause: causeLabel(cause, 500) }))
    )

  const handle = (route: WebhookRoute) => async (request: RoutedRequest): Promise<Response> => {
    const started = performance.now()
    const urlProblem = urlTextProblem(pathAndQuery(request.url))
    const rawBody = urlProblem === undefined ? await readBody(request, limit) : undefined
    const outcome = urlProblem !== undefined ? refused(refusals.badUrl(urlProblem))
      : rawBody === undefined ? refused(refusals.tooLarge(limit)) : await run(answer(route, request, rawBody))
    void run(Effect.zipRight(
      ops.httpRequest("POST", route.path, (performance.now() - started) / 1000),
      outcome.status >= 500 ? ops.serverError(route.path, outcome.cause) : Effect.void))
    return outcome.body === null ? new Response(null, { status: outcome.status }) : json(outcome.status, outcome.body, outcome.headers)
  }

  return Object.fromEntries(webhookRoutes.filter((route) => route.receives === "events").map((route) => [route.path, { POST: handle(route) }]))
})
