import { Effect, Layer, Logger, LogLevel } from "effect"
import { SignJWT } from "jose"
import { configuredEnvironment, vendorServices } from "./providerRoutes.js"
import type { Reply } from "./providerRoutes.js"
import { baseUrl, inProcessService } from "./server.js"

export const jwtSecret = "contacts-api-jwt-secret"

/** The whole service with org API tokens (HS256 with jwtSecret) and every provider's default secrets. */
export const contactsService = inProcessService({ ...configuredEnvironment, JWT_SECRET: jwtSecret }, vendorServices).pipe(
  Layer.provide(Logger.minimumLogLevel(LogLevel.Error))
)

export const orgToken = (org: string, claims: Record<string, unknown> = {}) =>
  Effect.promise(() =>
    new SignJWT({ org, ...claims }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("1h").sign(new TextEncoder().encode(jwtSecret)))

export interface OrgRequest {
  readonly method?: string
  /** A JSON value, or raw text sent as is. */
  readonly json?: unknown
  readonly text?: string
  readonly headers?: Record<string, string>
  /** The JWT `sub`, named in audit entries. */
  readonly subject?: string
  /** Sent without Authorization when false. */
  readonly authorized?: boolean
  /** The org the token is for, when it differs from the orgid header. */
  readonly tokenOrg?: string
}

/** Calls the org API as `org` and reads the JSON answer (raw text when it is not JSON). */
export const call = (org: string, path: string, request: OrgRequest = {}) =>
  Effect.gen(function* () {
    const base = yield* baseUrl
    const token = yield* orgToken(request.tokenOrg ?? org, request.subject === undefined ? {} : { sub: request.subject })
    const headers: Record<string, string> = {
      orgid: org,
      ...(request.authorized === false ? {} : { authorization: `Bearer ${token}` }),
      ...(request.json === undefined ? {} : { "content-type": "application/json" }),
      ...request.headers
    }
    const body = request.json !== undefined ? JSON.stringify(request.json) : request.text
    return yield* Effect.promise(async (): Promise<Reply> => {
      const response = await fetch(`${base}${path}`, { method: request.method ?? (body === undefined ? "GET" : "POST"), headers, ...(body === undefined ? {} : { body }) })
      const text = await response.text()
      try {
        return { status: response.status, body: JSON.parse(text) as unknown }
      } catch {
        return { status: response.status, body: text }
      }
    })
  })
