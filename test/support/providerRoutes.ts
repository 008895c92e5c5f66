import { expect } from "@effect/vitest"
import { Effect, Layer, Logger, LogLevel } from "effect"
import { Pipeline } from "../../src/ingest/Pipeline.js"
import { MailgunTokens } from "../../src/providers/Mailgun.js"
import * as SnsClient from "../../src/providers/SnsClient.js"
import type { DeliveryKey } from "../../src/storage/DeliveryRepository.js"
import { DeliveryRepository } from "../../src/storage/DeliveryRepository.js"
import { baseUrl, inProcessService } from "./server.js"
import { adminKey, configuredEnvironment, snsCertificateUrl, snsKey } from "./signing.js"

export * from "./signing.js"

/** Every SubscribeURL the SNS test layer was asked to visit. */
export const confirmedSubscriptions: Array<string> = []

export const vendorServices = Layer.mergeAll(
  SnsClient.testLayer(
    { [snsCertificateUrl]: snsKey.publicKey.export({ type: "spki", format: "pem" }).toString() },
    (url) => confirmedSubscriptions.push(url)
  ),
  MailgunTokens.Default
)

// Refusals are logged as warnings by design; the tests assert on the responses instead.
const quiet = Logger.minimumLogLevel(LogLevel.Error)

export const configuredService = inProcessService(configuredEnvironment, vendorServices).pipe(Layer.provide(quiet))
export const unconfiguredService = inProcessService({}, vendorServices).pipe(Layer.provide(quiet))

export interface Reply {
  readonly status: number
  readonly body: unknown
}

/** POSTs to the in-process server and reads the JSON answer (raw text when it is not JSON). */
export const post = (path: string, request: { readonly body: string; readonly headers?: Record<string, string> }) =>
  Effect.flatMap(baseUrl, (base) =>
    Effect.promise(async (): Promise<Reply> => {
      const response = await fetch(`${base}${path}`, { method: "POST", body: request.body, headers: request.headers ?? {} })
      const text = await response.text()
      try {
        return { status: response.status, body: JSON.parse(text) as unknown }
      } catch {
        return { status: response.status, body: text }
      }
    }))

/** Registers a connection through the admin API and returns its id. */
export const createConnection = (orgId: string, vendor: string, secrets: Record<string, unknown>) =>
  Effect.gen(function* () {
    const reply = yield* post("/admin/connections", {
      body: JSON.stringify({ orgId, vendor, secrets }),
      headers: { "content-type": "application/json", authorization: `Bearer ${adminKey}` }
    })
    if (reply.status !== 201 || typeof reply.body !== "object" || reply.body === null || !("id" in reply.body) || typeof reply.body.id !== "string") {
      return yield* Effect.dieMessage(`creating a ${vendor} connection answered ${reply.status}: ${JSON.stringify(reply.body)}`)
    }
    return reply.body.id
  })

/** Applies everything stored so far, then reads the delivery row. */
export const appliedDelivery = (key: DeliveryKey) =>
  Effect.gen(function* () {
    yield* (yield* Pipeline).drain
    return yield* (yield* DeliveryRepository).findByProviderMessage(key)
  })

/** The `{ error, message }` of a refusal whose message starts with the check's name. */
export const refusal = (error: string, check: string) => ({ error, message: expect.stringMatching(new RegExp(`^${check}: `)) })
