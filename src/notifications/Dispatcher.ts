import * as SqlClient from "@effect/sql/SqlClient"
import { DateTime, Duration, Effect, Either, Option } from "effect"
import packageJson from "../../package.json" with { type: "json" }
import { AppConfig } from "../AppConfig.js"
import { Resolver, resolveTarget } from "./AddressGuard.js"
import { render } from "./Formats.js"
import type { Payload } from "./Formats.js"
import { HealthWatch } from "./HealthWatch.js"
import type { AttemptOutcome, Claimed } from "./Messages.js"
import { Messages } from "./Messages.js"
import * as Outbox from "./Outbox.js"
import { signedHeaders } from "./Signing.js"

const pollInterval = Duration.millis(500)
/** Sends in flight at once on this instance, over every endpoint. */
const maxInFlight = 64
const excerptBytes = 1024

/** Exponential from the base, capped at an hour a wait, each wait drawn in [½, 1] of it (full jitter halves collisions). */
export const retryDelayMs = (baseMs: number, attempts: number, random: number = Math.random()): number => {
  const ceiling = Math.min(3_600_000, baseMs * 2 ** Math.min(30, Math.max(0, attempts - 1)))
  return Math.round(ceiling / 2 + (ceiling / 2) * random)
}

interface Response {
  readonly ok: boolean
  readonly statusCode: number | null
  readonly error: string | null
  readonly excerpt: string | null
  readonly refused: boolean
}

/** The first bytes of the answer, the rest left unread (a receiver could answer without end). */
const readExcerpt = async (body: ReadableStream<Uint8Array> | null): Promise<string | null> => {
  if (body === null) return null
  const reader = body.getReader()
  const chunks: Array<Uint8Array> = []
  let size = 0
  while (size < excerptBytes) {
    const { done, value } = await reader.read()
    if (done) break
    chunks.push(value)
    size += value.length
  }
  await reader.cancel().catch(() => undefined)
  const text = new TextDecoder().decode(Buffer.concat(chunks).subarray(0, excerptBytes))
  return text === "" ? null : text
}

/**
 * Sends the outbox: a fiber claims due messages (at most NOTIFICATION_CONCURRENCY_PER_ENDPOINT of an
 * endpoint at a time, so one slow endpoint only ever holds its own), sends each with a timeout to the
 * address the SSRF guard checked, records every attempt, and reschedules failures with backoff until
 * the retry window closes (then the message is dead). Sustained failure disables an endpoint and tells
 * the org's other endpoints. Nothing here is on the path of a webhook's ack or of the pipeline.
 */
export class Dispatcher extends Effect.Service<Dispatcher>()("Sendtrail/NotificationDispatcher", {
  scoped: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const messages = yield* Messages
    const health = yield* HealthWatch
    const { notifications: config } = yield* AppConfig
    const leaseSeconds = Math.ceil(config.timeoutMs / 1000) + 30
    const busy = new Set<string>()
    // Sends run in the service's scope: interrupted at shutdown (their lease brings them back), never past the SQL client.
    const scope = yield* Effect.scope
    // A stub in tests (names resolve to what the test says); the system's resolver otherwise.
    const resolver = Option.getOrElse(yield* Effect.serviceOption(Resolver), () => systemResolver)

    const post = (message: Claimed) =>
      Effect.gen(function* () {
        const url = new URL(message.url)
        const target = yield* Effect.either(Effect.provideService(resolveTarget(url, config.allowList), Resolver, resolver))
        if (Either.isLeft(target)) return { ok: false, statusCode: null, error: target.left.message, excerpt: null, refused: true } satisfies Response
        const body = render(message.format, message.payload)
        const secrets = message.previousSecret === null ? [message.secret] : [message.secret, message.previousSecret]
        // The request goes to the address checked, never to a second lookup of the name (DNS rebinding);
        // the name stays in Host and in TLS (SNI and the certificate's check).
        const pinned = new URL(url)
        pinned.hostname = target.right.address.includes(":") ? `[${target.right.address}]` : target.right.address
        return yield* Effect.promise(async (): Promise<Response> => {
          try {
            const response = await fetch(pinned, {
              method: "POST",
              body,
              redirect: "manual",
              signal: AbortSignal.timeout(config.timeoutMs),
              headers: {
                host: url.host,
                "content-type": "application/json",
                "user-agent": `Sendtrail-Notifications/${packageJson.version}`,
                ...signedHeaders(secrets, message.id, Math.floor(Date.now() / 1000), body)
              },
              tls: { serverName: url.hostname }
            })
            const excerpt = await readExcerpt(response.body).catch(() => null)
            const ok = response.status >= 200 && response.status < 300
            return {
              ok, statusCode: response.status, excerpt, refused: false,
              error: ok ? null : response.status >= 300 && response.status < 400 ? "redirects are not followed" : `answered ${response.status}`
            }
          } catch (error) {
            // Bun's timeout is a DOMException, not always an Error of this realm: judged by its name.
            const name = typeof error === "object" && error !== null && "name" in error ? String(error.name) : ""
            const timedOut = name === "TimeoutError" || name === "AbortError"
            return {
              ok: false, statusCode: null, excerpt: null, refused: false,
              error: timedOut ? `no answer within ${config.timeoutMs} ms` : `could not connect: ${error instanceof Error ? error.message : String(error)}`
            }
          }
        })
      })

    /** One attempt, recorded; `final`: no retry whatever happens (a test send). */
    const attempt = (message: Claimed, final = false) =>
      Effect.gen(function* () {
        const started = performance.now()
        const response = yield* post(message)
        const latencyMs = performance.now() - started
        const now = yield* DateTime.now
        const next = DateTime.add(now, { millis: retryDelayMs(config.retryBaseMs, message.attempts) })
        const windowEnds = DateTime.add(message.dueSince, { seconds: config.retryWindowSeconds })
        const retry = !response.ok && !final && DateTime.lessThanOrEqualTo(next, windowEnds)
        const outcome: AttemptOutcome = response.ok ? "delivered" : !retry ? "dead" : response.refused ? "refused" : "failed"
        const disabled = yield* messages.record({
          message, outcome, statusCode: response.statusCode, latencyMs, error: response.error, responseExcerpt: response.excerpt,
          nextRetryAt: retry ? next : null
        }, { failures: config.disableAfterFailures, seconds: config.disableAfterSeconds })
        if (disabled) yield* announceDisabled(message, response.error)
        return { messageId: message.id, outcome, statusCode: response.statusCode, latencyMs: Math.round(latencyMs), error: response.error }
      })

    const announceDisabled = (message: Claimed, error: string | null) =>
      Effect.gen(function* () {
        yield* Effect.logWarning(`notification endpoint ${message.endpointId} disabled after sustained failure: ${error ?? "unknown"}`)
        const at = yield* DateTime.now
        yield* Outbox.enqueueAll(sql, [{
          orgId: message.orgId, type: "endpoint.disabled", sourceKey: `endpoint.disabled:${message.endpointId}:${DateTime.formatIso(at)}`,
          occurredAt: DateTime.formatIso(at), scope: "org", channel: null, broadcastId: null, category: null,
          // The host only: a chat webhook's path is its secret, and this goes to the org's other endpoints.
          data: { endpointId: message.endpointId, host: new URL(message.url).host, reason: error }
        }]).pipe(Effect.orDie)
      })

    /** Claims what is due (never for an endpoint already sending) and sends each endpoint's share in a fiber of its own. */
    const dispatchOnce = Effect.gen(function* () {
      const room = maxInFlight - busy.size * config.concurrencyPerEndpoint
      if (room <= 0) return 0
      const claimed = yield* messages.claim([...busy], config.concurrencyPerEndpoint, room, leaseSeconds)
      const byEndpoint = new Map<string, Array<Claimed>>()
      for (const message of claimed) byEndpoint.set(message.endpointId, [...(byEndpoint.get(message.endpointId) ?? []), message])
      for (const [endpointId, share] of byEndpoint) {
        busy.add(endpointId)
        yield* Effect.forkIn(Effect.forEach(share, (m) => attempt(m), { concurrency: "unbounded", discard: true }).pipe(
          Effect.catchAllCause((cause) => Effect.logError(`notification endpoint ${endpointId}: sending failed`, cause)),
          Effect.ensuring(Effect.sync(() => busy.delete(endpointId)))
        ), scope)
      }
      return claimed.length
    })

    yield* Effect.forkScoped(Effect.forever(Effect.flatMap(dispatchOnce, (n) => (n > 0 ? Effect.void : Effect.sleep(pollInterval)))).pipe(
      Effect.catchAllCause((cause) => Effect.zipRight(Effect.logError("notification dispatch failed", cause), Effect.sleep(Duration.seconds(1)))),
      Effect.forever
    ))
    yield* Effect.forkScoped(Effect.forever(Effect.zipRight(Effect.sleep(Duration.seconds(config.healthCheckSeconds)), health.check)).pipe(
      Effect.catchAllCause((cause) => Effect.logError("notification health check failed", cause)),
      Effect.forever
    ))

    return {
      /** A test message to one endpoint, sent now, once (no retry), and logged like any other. */
      test: Effect.fn("Dispatcher.test")(function* (orgId: string, endpointId: string) {
        const at = DateTime.formatIso(yield* DateTime.now)
        const payload: Payload = { type: "endpoint.test", timestamp: at, data: { endpointId, message: "a test notification from Sendtrail" } }
        const [message] = yield* messages.single(orgId, endpointId, "endpoint.test", payload, leaseSeconds)
        return yield* attempt(message!, true)
      }),
      /** Sends everything due now and waits for it (tests). */
      dispatchOnce
    } as const
  })
}) {}

const systemResolver = Effect.runSync(Effect.provide(Resolver, Resolver.System))
