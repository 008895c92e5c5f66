import { Effect, Schema } from "effect"
import { SignJWT } from "jose"
import { vendorServices } from "./providerRoutes.js"
import { baseUrl, inProcessService } from "./server.js"

export const jwtSecret = "broadcasts-test-secret"

/** The whole service in-process, with the org API keyed by `jwtSecret`. */
export const broadcastsService = (config: Record<string, string> = {}) =>
  inProcessService({ JWT_SECRET: jwtSecret, ...config }, vendorServices)

export const orgToken = (org: string) =>
  Effect.promise(() =>
    new SignJWT({ org }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("1h").sign(new TextEncoder().encode(jwtSecret)))

export interface Reply {
  readonly status: number
  readonly body: unknown
}

/** The `id` of a created resource, checked. */
export const idOf = (reply: Reply): string => Schema.decodeUnknownSync(Schema.Struct({ id: Schema.String }))(reply.body).id

/** Part of an answer, checked against a schema. */
export const bodyAs = <A, I>(schema: Schema.Schema<A, I>, reply: Reply): A => Schema.decodeUnknownSync(schema)(reply.body)

/** Calls the API as `org` (a valid token for it, and its orgid header) and reads the JSON answer. */
export const call = (org: string, method: string, path: string, body?: unknown) =>
  Effect.gen(function* () {
    const base = yield* baseUrl
    const token = yield* orgToken(org)
    return yield* Effect.promise(async (): Promise<Reply> => {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, orgid: org, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) })
      })
      const text = await response.text()
      return { status: response.status, body: text === "" ? null : JSON.parse(text) }
    })
  })

/** Creates a broadcast as `org` and returns its id. */
export const createBroadcast = (org: string, body: Record<string, unknown> = { name: "Spring sale", category: "marketing" }) =>
  Effect.flatMap(call(org, "POST", "/broadcast", body), (reply) =>
    reply.status === 201 ? Effect.succeed(idOf(reply)) : Effect.dieMessage(`creating a broadcast answered ${reply.status}: ${JSON.stringify(reply.body)}`))
