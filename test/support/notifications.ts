import { expect } from "@effect/vitest"
import { Effect, Layer, Logger, LogLevel } from "effect"
import { Webhook } from "standardwebhooks"
import { call, jwtSecret } from "./contactsApi.js"
import { Pipeline } from "../../src/ingest/Pipeline.js"
import { adminKey, configuredEnvironment, createConnection, genericOtherSecret, genericRequest, post, unique, vendorServices } from "./providerRoutes.js"
import type { Received } from "./receiver.js"
import { baseUrl, inProcessService } from "./server.js"

/** Receivers listen on 127.0.0.1 only, which this allow-list lets notifications reach; 127.0.0.2 stays refused. */
export const notificationSettings = {
  NOTIFICATION_ALLOWED_HOSTS: "127.0.0.1",
  NOTIFICATION_RETRY_BASE_MS: "100",
  NOTIFICATION_TIMEOUT_MS: "1000",
  NOTIFICATION_DISABLE_AFTER_FAILURES: "4",
  NOTIFICATION_DISABLE_AFTER_SECONDS: "0"
}

/** The whole service in this process with org tokens and fast retries; `extra` adds or overrides settings. */
export const notificationsService = (extra: Record<string, string> = {}) =>
  inProcessService({ ...configuredEnvironment, JWT_SECRET: jwtSecret, ...notificationSettings, ...extra }, vendorServices).pipe(
    Layer.provide(Logger.minimumLogLevel(LogLevel.None))
  )

export interface Created {
  readonly endpoint: { readonly id: string } & Record<string, unknown>
  readonly secret: string
}

export const createEndpoint = (org: string, body: Record<string, unknown>) =>
  Effect.map(call(org, "/notification-endpoints", { json: body }), (reply) => {
    expect(reply.status, JSON.stringify(reply.body)).toBe(201)
    return reply.body as Created
  })

/** The payload, verified as a receiver would with the Standard Webhooks library (throws when it does not verify). */
export const verified = (secret: string, request: Received) =>
  new Webhook(secret).verify(request.body, request.headers) as { type: string; timestamp: string; data: Record<string, unknown> }

export interface Attempt {
  readonly id: number
  readonly messageId: string
  readonly type: string
  readonly attempt: number
  readonly outcome: string
  readonly statusCode: number | null
  readonly error: string | null
  readonly responseExcerpt: string | null
  readonly nextRetryAt: string | null
}

/** The endpoint's log, oldest attempt first. */
export const attemptsOf = (org: string, id: string) =>
  Effect.map(call(org, `/notification-endpoints/${id}/deliveries?limit=1000`), (reply) => {
    expect(reply.status).toBe(200)
    return [...(reply.body as { items: ReadonlyArray<Attempt> }).items].reverse()
  })

/** Polls the log until `done` holds (bounded; the assertion after it says what was missing). */
export const logUntil = (org: string, id: string, done: (attempts: ReadonlyArray<Attempt>) => boolean, timeoutMs = 20_000) =>
  Effect.gen(function* () {
    const deadline = Date.now() + timeoutMs
    let attempts = yield* attemptsOf(org, id)
    while (!done(attempts) && Date.now() < deadline) {
      yield* Effect.sleep("50 millis")
      attempts = yield* attemptsOf(org, id)
    }
    return attempts
  })

/** Generic provider events for the org (any field of the generic format), each on a message of its own unless given, applied before returning. */
export const sendEvents = (org: string, events: ReadonlyArray<Record<string, unknown>>) =>
  Effect.gen(function* () {
    const connection = yield* createConnection(org, "generic", { secret: genericOtherSecret })
    const body = events.map((e) => ({ id: unique("evt-"), messageId: unique("msg-"), timestamp: new Date().toISOString(), ...e }))
    expect((yield* post(`/connect/webhook/generic/${connection}`, genericRequest(genericOtherSecret, body))).status).toBe(200)
    yield* (yield* Pipeline).drain
  })

/** Calls the admin API. */
export const adminCall = (path: string, method = "POST") =>
  Effect.flatMap(baseUrl, (base) => Effect.promise(async () => {
    const response = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${adminKey}` } })
    return { status: response.status, body: await response.json() as unknown }
  }))
