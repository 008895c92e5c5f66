import { HttpApi, HttpApiBuilder } from "@effect/platform"
import { BunHttpServer } from "@effect/platform-bun"
import { Effect, Layer, Logger, LogLevel, Schema } from "effect"
import { SignJWT } from "jose"
import { ContactActor } from "../../src/actors/ContactActor.js"
import { BroadcastsApi } from "../../src/api/Broadcasts.js"
import { BroadcastsLive } from "../../src/api/BroadcastsHttp.js"
import { UniformDecodeErrors } from "../../src/api/ErrorShape.js"
import { OrgAuthLive } from "../../src/api/OrgAuthHttp.js"
import { makeIngest, RepositoriesSql } from "../../src/App.js"
import { AppConfig } from "../../src/AppConfig.js"
import { Broadcasts } from "../../src/broadcasts/Broadcasts.js"
import { PushResults } from "../../src/broadcasts/PushResults.js"
import { Registrations } from "../../src/broadcasts/Registrations.js"
import { RetryLists } from "../../src/broadcasts/RetryLists.js"
import { pgliteLayer } from "./databases.js"
import { configProvider } from "./ingest.js"
import { vendorServices } from "./providerRoutes.js"
import { baseUrl } from "./server.js"

export const jwtSecret = "broadcasts-test-secret"

/** What App.ts is to provide for the broadcasts group. */
export const BroadcastServices = Layer.mergeAll(Broadcasts.Default, Registrations.Default, PushResults.Default, RetryLists.Default)

// The other groups are being built meanwhile and their handlers' services are not in App.ts yet, so
// this serves the broadcasts group alone: same handlers, OrgAuth, error shape, ingest and storage as
// the real server. Once App.ts provides BroadcastServices, `inProcessService` can replace it.
class BroadcastsOnly extends HttpApi.make("sendtrail").add(BroadcastsApi) {}

export const broadcastsService = (config: Record<string, string> = {}, contactActor: Layer.Layer<ContactActor, never, Layer.Layer.Context<typeof ContactActor.Default>> = ContactActor.Default) =>
  HttpApiBuilder.serve().pipe(
    Layer.provide(UniformDecodeErrors),
    Layer.provide(HttpApiBuilder.api(BroadcastsOnly).pipe(Layer.provide(BroadcastsLive), Layer.provide(OrgAuthLive))),
    Layer.provideMerge(BunHttpServer.layer({ port: 0 })),
    Layer.provideMerge(BroadcastServices),
    Layer.provideMerge(makeIngest(contactActor, vendorServices)),
    Layer.provideMerge(RepositoriesSql),
    Layer.provideMerge(Layer.orDie(pgliteLayer)),
    Layer.provideMerge(AppConfig.Default),
    Layer.provide(Layer.setConfigProvider(configProvider({ JWT_SECRET: jwtSecret, ...config }))),
    Layer.provide(Logger.minimumLogLevel(LogLevel.Error))
  )

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
