import { createHash } from "node:crypto"
import { Clock, Data, Effect, Redacted, Schema } from "effect"
import { jwtVerify, SignJWT } from "jose"
import { AppConfig } from "../AppConfig.js"
import { Category, Channel } from "../domain/Event.js"

/** What a tracking link carries: ids only, never an address or a name. */
export const TrackingClaims = Schema.Struct({
  kind: Schema.Literal("open", "click", "unsubscribe"),
  orgId: Schema.String,
  deliveryId: Schema.Number,
  broadcastId: Schema.optional(Schema.String),
  contactId: Schema.optional(Schema.String),
  channel: Channel,
  category: Schema.optional(Category),
  /** For clicks: the SHA-256 (base64url) of the one URL this token may redirect to. */
  urlHash: Schema.optional(Schema.String)
})
export type TrackingClaims = typeof TrackingClaims.Type

export class TrackingUnavailable extends Data.TaggedError("TrackingUnavailable")<{ readonly message: string }> {}
export class TrackingTokenInvalid extends Data.TaggedError("TrackingTokenInvalid")<{ readonly message: string }> {}

export const urlHash = (url: string): string => createHash("sha256").update(url).digest("base64url")

// Short claim names keep links short; they are read back only through this module.
const Compact = Schema.Struct({
  k: TrackingClaims.fields.kind,
  o: Schema.String,
  d: Schema.Number,
  b: Schema.optional(Schema.String),
  c: Schema.optional(Schema.String),
  ch: Channel,
  cat: Schema.optional(Category),
  u: Schema.optional(Schema.String)
})
const decodeCompact = Schema.decodeUnknown(Compact)

const compact = (claims: TrackingClaims): typeof Compact.Type => ({
  k: claims.kind, o: claims.orgId, d: claims.deliveryId, ch: claims.channel,
  ...(claims.broadcastId === undefined ? {} : { b: claims.broadcastId }),
  ...(claims.contactId === undefined ? {} : { c: claims.contactId }),
  ...(claims.category === undefined ? {} : { cat: claims.category }),
  ...(claims.urlHash === undefined ? {} : { u: claims.urlHash })
})

const expand = (c: typeof Compact.Type): TrackingClaims => ({
  kind: c.k, orgId: c.o, deliveryId: c.d, channel: c.ch,
  ...(c.b === undefined ? {} : { broadcastId: c.b }),
  ...(c.c === undefined ? {} : { contactId: c.c }),
  ...(c.cat === undefined ? {} : { category: c.cat }),
  ...(c.u === undefined ? {} : { urlHash: c.u })
})

/**
 * Signed tracking tokens: compact JWTs (HS256) under TRACKING_SECRET. Several comma-separated keys
 * rotate: the first signs, every one verifies, so links in old mail keep working through a rotation.
 */
export class TrackingTokens extends Effect.Service<TrackingTokens>()("Sendtrail/TrackingTokens", {
  effect: Effect.gen(function* () {
    const config = yield* AppConfig
    const keys = config.trackingSecrets.map((secret) => new TextEncoder().encode(Redacted.value(secret)))
    const ttlSeconds = config.trackingTokenTtlDays * 24 * 3600

    const sign = Effect.fn("TrackingTokens.sign")(function* (claims: TrackingClaims) {
      const key = keys[0]
      if (key === undefined) return yield* new TrackingUnavailable({ message: "TRACKING_SECRET is not configured: tracking links cannot be signed" })
      const now = yield* Clock.currentTimeMillis
      return yield* Effect.promise(() =>
        new SignJWT(compact(claims)).setProtectedHeader({ alg: "HS256" }).setExpirationTime(Math.floor(now / 1000) + ttlSeconds).sign(key))
    })

    const verify = Effect.fn("TrackingTokens.verify")(function* (token: string) {
      if (keys.length === 0) return yield* new TrackingUnavailable({ message: "TRACKING_SECRET is not configured: tracking links cannot be verified" })
      const currentDate = new Date(yield* Clock.currentTimeMillis)
      for (const key of keys) {
        const payload = yield* Effect.promise(() => jwtVerify(token, key, { algorithms: ["HS256"], currentDate, requiredClaims: ["exp"] }).then((r) => r.payload, () => undefined))
        if (payload === undefined) continue
        const claims = yield* decodeCompact(payload).pipe(Effect.mapError(() => new TrackingTokenInvalid({ message: "the token's claims are not a tracking token's" })))
        return expand(claims)
      }
      return yield* new TrackingTokenInvalid({ message: "the token is invalid or expired" })
    })

    return { sign, verify } as const
  })
}) {}
