import { randomUUID } from "node:crypto"
import { DateTime, Effect, Layer, Option, TestClock, TestContext } from "effect"
import { SignJWT } from "jose"
import type { Channel } from "../../src/domain/Event.js"
import { Pipeline } from "../../src/ingest/Pipeline.js"
import { MailgunTokens } from "../../src/providers/Mailgun.js"
import * as SnsClient from "../../src/providers/SnsClient.js"
import { BroadcastRepository } from "../../src/storage/BroadcastRepository.js"
import type { NewDelivery } from "../../src/storage/DeliveryRepository.js"
import { DeliveryRepository } from "../../src/storage/DeliveryRepository.js"
import { TrackingServices } from "../../src/tracking/Services.js"
import type { TrackingClaims } from "../../src/tracking/Tokens.js"
import { TrackingTokens } from "../../src/tracking/Tokens.js"
import { baseUrl, inProcessService } from "./server.js"
import { configProvider } from "./ingest.js"
import { AppConfig } from "../../src/AppConfig.js"

export const publicBaseUrl = "https://track.example.com"
export const trackingSecret = "tracking-key-current"
/** A key rotated out of signing that still verifies: the server is configured with both. */
export const previousTrackingSecret = "tracking-key-previous"
export const orgApiSecret = "org-api-secret-for-tracking"

export const unique = (prefix: string) => `${prefix}${randomUUID().replaceAll("-", "").slice(0, 12)}`

/**
 * The whole service in-process, with TRACKING_SECRET rotated ("current,previous") and an org API
 * secret; tracking's services (the same instances the handlers use) are exposed so tests can sign
 * tokens as the server would.
 */
export const trackingService = (config: Record<string, string> = {}) =>
  inProcessService({
    PUBLIC_BASE_URL: publicBaseUrl, TRACKING_SECRET: `${trackingSecret},${previousTrackingSecret}`, JWT_SECRET: orgApiSecret, ...config
  }, Layer.mergeAll(SnsClient.testLayer({}), MailgunTokens.Default)).pipe((service) => Layer.provideMerge(TrackingServices, service))

/** A token signed with only the given secret, as a server configured with it would sign it (at `signedAt`, ms). */
export const signWith = (secret: string, claims: TrackingClaims, options: { readonly ttlDays?: number; readonly signedAt?: number } = {}) =>
  Effect.flatMap(TrackingTokens, (tokens) =>
    options.signedAt === undefined
      ? tokens.sign(claims)
      : Effect.zipRight(TestClock.setTime(options.signedAt), tokens.sign(claims)).pipe(Effect.provide(TestContext.TestContext))).pipe(
    Effect.provide(TrackingTokens.Default),
    Effect.provide(AppConfig.Default),
    Effect.provide(Layer.setConfigProvider(configProvider({ TRACKING_SECRET: secret, TRACKING_TOKEN_TTL_DAYS: String(options.ttlDays ?? 180) }))),
    Effect.orDie
  )

export const sign = (claims: TrackingClaims) => Effect.orDie(Effect.flatMap(TrackingTokens, (tokens) => tokens.sign(claims)))

export const orgHeaders = (orgId: string, tokenOrg = orgId) =>
  Effect.promise(async () => ({
    authorization: `Bearer ${await new SignJWT({ org: tokenOrg }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("1h").sign(new TextEncoder().encode(orgApiSecret))}`,
    orgid: orgId
  }))

export interface Answer {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  readonly bytes: Uint8Array
}

/** A request to the in-process server, redirects not followed. */
export const call = (path: string, init: RequestInit = {}) =>
  Effect.flatMap(baseUrl, (base) =>
    Effect.promise(async (): Promise<Answer> => {
      const response = await fetch(`${base}${path}`, { redirect: "manual", ...init })
      const bytes = new Uint8Array(await response.arrayBuffer())
      return { status: response.status, headers: response.headers, text: new TextDecoder().decode(bytes), bytes }
    }))

export const postJson = (path: string, body: unknown, headers: Record<string, string>) =>
  Effect.map(call(path, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json", ...headers } }), (a) => ({
    status: a.status,
    body: JSON.parse(a.text) as unknown
  }))

/** A path under the server for a public tracking URL (whose host is PUBLIC_BASE_URL). */
export const pathOf = (url: string) => url.slice(publicBaseUrl.length)

export interface Seed {
  readonly orgId?: string
  readonly recipient?: string
  readonly channel?: Channel
  readonly broadcast?: { readonly name: string; readonly category: "marketing" | "transactional" | "security" }
  /** How long ago the message was delivered (default an hour: clicks are then not "right after delivery"). */
  readonly deliveredSecondsAgo?: number
}

/** A delivered message (and its broadcast, with the recipient on its list), registered as a sender would. */
export const seedDelivery = (seed: Seed = {}) =>
  Effect.gen(function* () {
    const orgId = seed.orgId ?? unique("org-")
    const channel = seed.channel ?? "email"
    const recipient = seed.recipient ?? `${unique("reader-")}@example.com`
    const broadcastId = seed.broadcast === undefined ? null : unique("b-")
    const at = DateTime.subtract(yield* DateTime.now, { seconds: seed.deliveredSecondsAgo ?? 3600 })
    if (seed.broadcast !== undefined && broadcastId !== null) {
      const broadcasts = yield* BroadcastRepository
      yield* broadcasts.create({ id: broadcastId, orgId, name: seed.broadcast.name, category: seed.broadcast.category, channels: [channel], createdAt: at })
      yield* broadcasts.addRecipients(broadcastId, [{ channel, address: recipient, contactId: null }])
    }
    const input: NewDelivery = {
      orgId, provider: "sendgrid", providerMessageId: unique("msg-"), recipient, broadcastId, contactId: null, channel,
      status: "delivered", senderAccountId: null, cost: null, at, reached: true
    }
    const delivery = yield* (yield* DeliveryRepository).acquire(input)
    const base = {
      orgId, deliveryId: delivery.id, channel,
      ...(broadcastId === null ? {} : { broadcastId })
    } satisfies Omit<TrackingClaims, "kind">
    return { delivery, orgId, recipient, broadcastId, base }
  })

/** Applies everything stored so far, then reads the delivery and its events. */
export const applied = (deliveryId: number) =>
  Effect.gen(function* () {
    yield* (yield* Pipeline).drain
    const deliveries = yield* DeliveryRepository
    return {
      delivery: Option.getOrThrow(yield* deliveries.findById(deliveryId)),
      events: yield* deliveries.events(deliveryId)
    }
  })
