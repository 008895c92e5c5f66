import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Option, Redacted } from "effect"
import { generateKeyPairSync } from "node:crypto"
import { SignJWT } from "jose"
import { orgTokenKeys, verifyOrgToken } from "../../src/api/OrgToken.js"

const secret = "org-api-secret"
const hs = orgTokenKeys(Option.some(Redacted.make(secret)), Option.none())
const hsToken = (claims: Record<string, unknown>, expiresIn: string | number = "1h", key = secret) =>
  new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setIssuedAt().setExpirationTime(expiresIn).sign(new TextEncoder().encode(key))

const rejection = async (effect: Effect.Effect<unknown, { status: number; message: string }>) => {
  const exit = await Effect.runPromiseExit(effect)
  if (Exit.isSuccess(exit)) throw new Error("expected a rejection")
  const failure = exit.cause._tag === "Fail" ? exit.cause.error : undefined
  return failure === undefined ? undefined : { status: failure.status, message: failure.message }
}

describe("org API tokens", () => {
  it("a token for the org in the orgid header is accepted", async () => {
    const result = await Effect.runPromise(verifyOrgToken(hs, await hsToken({ org: "acme", sub: "user-1" }), "acme"))
    expect(result).toEqual({ orgId: "acme", subject: "user-1" })
  })

  it("a token for another org is a 403 naming both", async () => {
    expect(await rejection(verifyOrgToken(hs, await hsToken({ org: "acme" }), "globex"))).toEqual({ status: 403, message: "the token is for org 'acme', not 'globex'" })
  })

  it("an expired, unsigned, wrongly signed or org-less token, or no orgid header, is a 401 saying which", async () => {
    expect(await rejection(verifyOrgToken(hs, await hsToken({ org: "acme" }, Math.floor(Date.now() / 1000) - 60), "acme"))).toMatchObject({ status: 401, message: "the token has expired" })
    expect(await rejection(verifyOrgToken(hs, await hsToken({ org: "acme" }, "1h", "other-secret"), "acme"))).toMatchObject({ status: 401, message: "the token's signature does not verify" })
    const unsigned = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from(`{"org":"acme","exp":${Math.floor(Date.now() / 1000) + 60}}`).toString("base64url")}.`
    expect(await rejection(verifyOrgToken(hs, unsigned, "acme"))).toMatchObject({ status: 401 })
    expect(await rejection(verifyOrgToken(hs, await hsToken({ sub: "x" }), "acme"))).toMatchObject({ status: 401, message: "the token has no org claim" })
    expect(await rejection(verifyOrgToken(hs, await hsToken({ org: "acme" }), undefined))).toMatchObject({ status: 401, message: "the orgid header is required" })
    expect(await rejection(verifyOrgToken(hs, "", "acme"))).toMatchObject({ status: 401, message: "Authorization: Bearer <JWT> is required" })
    const noExp = await new SignJWT({ org: "acme" }).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode(secret))
    expect(await rejection(verifyOrgToken(hs, noExp, "acme"))).toMatchObject({ status: 401, message: "the token has no exp claim" })
  })

  it("with JWT_PUBLIC_KEY, RS256 and ES256 tokens verify and an HS256 token made with the public key does not", async () => {
    for (const [type, alg] of [["rsa", "RS256"], ["ec", "ES256"]] as const) {
      const pair = type === "rsa" ? generateKeyPairSync("rsa", { modulusLength: 2048 }) : generateKeyPairSync("ec", { namedCurve: "P-256" })
      const pem = pair.publicKey.export({ type: "spki", format: "pem" }).toString()
      const keys = orgTokenKeys(Option.none(), Option.some(Redacted.make(pem)))
      const token = await new SignJWT({ org: "acme" }).setProtectedHeader({ alg }).setExpirationTime("1h").sign(pair.privateKey)
      expect(await Effect.runPromise(verifyOrgToken(keys, token, "acme"))).toMatchObject({ orgId: "acme" })
      const confused = await new SignJWT({ org: "acme" }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("1h").sign(new TextEncoder().encode(pem))
      expect(await rejection(verifyOrgToken(keys, confused, "acme"))).toMatchObject({ status: 401 })
    }
  })

  it("with no key configured every request is refused", async () => {
    expect(await rejection(verifyOrgToken(orgTokenKeys(Option.none(), Option.none()), "x", "acme"))).toMatchObject({ status: 401, message: expect.stringMatching(/not configured/) })
  })
})
