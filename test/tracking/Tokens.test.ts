import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Layer, TestClock } from "effect"
import { SignJWT } from "jose"
import type { TrackingClaims } from "../../src/tracking/Tokens.js"
import { TrackingTokens, urlHash } from "../../src/tracking/Tokens.js"
import { testConfig } from "../support/ingest.js"

const tokensWith = (config: Record<string, string>) => TrackingTokens.Default.pipe(Layer.provide(testConfig(config)))
const keyed = (secret: string, ttlDays = 180) => tokensWith({ TRACKING_SECRET: secret, TRACKING_TOKEN_TTL_DAYS: String(ttlDays) })

const claims: TrackingClaims = {
  kind: "click", orgId: "acme", deliveryId: 42, broadcastId: "b-1", contactId: "c-1", channel: "email", category: "marketing",
  urlHash: urlHash("https://example.com/a?b=c")
}

const sign = (c: TrackingClaims) => Effect.flatMap(TrackingTokens, (t) => t.sign(c))
const verify = (token: string) => Effect.either(Effect.flatMap(TrackingTokens, (t) => t.verify(token)))

describe("tracking tokens", () => {
  it.effect("a token reads back to the claims it was made with, and carries ids only", () =>
    Effect.gen(function* () {
      const token = yield* sign(claims)
      expect(yield* verify(token)).toEqual(Either.right(claims))
      const payload: unknown = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8"))
      expect(Object.keys(payload as object).sort()).toEqual(["b", "c", "cat", "ch", "d", "exp", "k", "o", "u"])
      expect(token).not.toContain("@")
    }).pipe(Effect.provide(keyed("k1"))))

  it.effect("the first key signs and every key verifies, so links in old mail survive a rotation", () =>
    Effect.gen(function* () {
      const fromOld = yield* Effect.provide(sign(claims), keyed("old"))
      const fromRotated = yield* Effect.provide(sign(claims), keyed("new,old"))
      expect(Either.isRight(yield* Effect.provide(verify(fromOld), keyed("new, old")))).toBe(true)
      expect(Either.isRight(yield* Effect.provide(verify(fromRotated), keyed("new")))).toBe(true)
      expect(yield* Effect.provide(verify(fromRotated), keyed("old"))).toMatchObject(Either.left({ _tag: "TrackingTokenInvalid" }))
    }))

  it.effect("a token expires after TRACKING_TOKEN_TTL_DAYS", () =>
    Effect.gen(function* () {
      const token = yield* sign(claims)
      yield* TestClock.adjust("47 hours")
      expect(Either.isRight(yield* verify(token))).toBe(true)
      yield* TestClock.adjust("2 hours")
      expect(yield* verify(token)).toMatchObject(Either.left({ _tag: "TrackingTokenInvalid", message: "the token is invalid or expired" }))
    }).pipe(Effect.provide(keyed("k1", 2))))

  it.effect("a tampered token, a token of another key and a token without expiry are refused", () =>
    Effect.gen(function* () {
      const token = yield* sign(claims)
      const [header, payload, signature] = token.split(".")
      const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload ?? "", "base64url").toString("utf8")), d: 43 })).toString("base64url")
      expect(yield* verify(`${header}.${forged}.${signature}`)).toMatchObject(Either.left({ _tag: "TrackingTokenInvalid" }))
      expect(yield* verify(yield* Effect.provide(sign(claims), keyed("stranger")))).toMatchObject(Either.left({ _tag: "TrackingTokenInvalid" }))
      expect(yield* verify("not-a-token")).toMatchObject(Either.left({ _tag: "TrackingTokenInvalid" }))
      const forever = yield* Effect.promise(() =>
        new SignJWT({ k: "open", o: "acme", d: 42, ch: "email" }).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode("k1")))
      expect(yield* verify(forever)).toMatchObject(Either.left({ _tag: "TrackingTokenInvalid" }))
    }).pipe(Effect.provide(keyed("k1"))))

  it.effect("with no TRACKING_SECRET, links can be neither signed nor verified, and both say why", () =>
    Effect.gen(function* () {
      expect(yield* Effect.either(sign(claims))).toMatchObject(Either.left({ _tag: "TrackingUnavailable" }))
      expect(yield* verify("x.y.z")).toMatchObject(Either.left({ _tag: "TrackingUnavailable", message: expect.stringMatching(/TRACKING_SECRET/) }))
    }).pipe(Effect.provide(tokensWith({}))))
})
