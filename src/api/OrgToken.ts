import { createPublicKey, type KeyObject } from "node:crypto"
import { Data, Effect, Option, Redacted } from "effect"
import { errors, jwtVerify } from "jose"

export class OrgTokenRejected extends Data.TaggedError("OrgTokenRejected")<{
  /** 401: no or bad credentials; 403: a good token for another org. */
  readonly status: 401 | 403
  readonly message: string
}> {}

export interface OrgTokenKeys {
  readonly verify: (token: string) => Promise<Record<string, unknown>>
}

/**
 * The key that checks org API tokens: HS256 with JWT_SECRET, or RS256/ES256 with the PEM in
 * JWT_PUBLIC_KEY (the algorithm follows the key, so a token cannot pick a weaker one).
 */
export const orgTokenKeys = (secret: Option.Option<Redacted.Redacted<string>>, publicKey: Option.Option<Redacted.Redacted<string>>): Option.Option<OrgTokenKeys> => {
  if (Option.isSome(publicKey)) {
    const key: KeyObject = createPublicKey(Redacted.value(publicKey.value))
    const algorithms = key.asymmetricKeyType === "ec" ? ["ES256"] : ["RS256"]
    return Option.some({ verify: async (token) => (await jwtVerify(token, key, { algorithms })).payload })
  }
  if (Option.isSome(secret)) {
    const key = new TextEncoder().encode(Redacted.value(secret.value))
    return Option.some({ verify: async (token) => (await jwtVerify(token, key, { algorithms: ["HS256"] })).payload })
  }
  return Option.none()
}

const why = (error: unknown): string => {
  if (error instanceof errors.JWTExpired) return "the token has expired"
  if (error instanceof errors.JWSSignatureVerificationFailed) return "the token's signature does not verify"
  if (error instanceof errors.JOSEAlgNotAllowed) return "the token's algorithm is not the one this service accepts"
  if (error instanceof errors.JWTClaimValidationFailed) return `the token's ${error.claim} claim is not valid`
  return "the token is not a valid JWT"
}

/** Checks `Authorization: Bearer <JWT>` and that its `org` claim is the `orgid` header. */
export const verifyOrgToken = (keys: Option.Option<OrgTokenKeys>, token: string, orgHeader: string | undefined) =>
  Effect.gen(function* () {
    if (Option.isNone(keys)) {
      return yield* new OrgTokenRejected({ status: 401, message: "JWT_SECRET or JWT_PUBLIC_KEY is not configured: org API requests cannot be verified" })
    }
    if (token === "") return yield* new OrgTokenRejected({ status: 401, message: "Authorization: Bearer <JWT> is required" })
    const claims = yield* Effect.tryPromise({
      try: () => keys.value.verify(token),
      catch: (error) => new OrgTokenRejected({ status: 401, message: why(error) })
    })
    if (claims.exp === undefined) return yield* new OrgTokenRejected({ status: 401, message: "the token has no exp claim" })
    if (typeof claims.org !== "string" || claims.org === "") {
      return yield* new OrgTokenRejected({ status: 401, message: "the token has no org claim" })
    }
    const orgId = orgHeader?.trim() ?? ""
    if (orgId === "") return yield* new OrgTokenRejected({ status: 401, message: "the orgid header is required" })
    if (claims.org !== orgId) {
      return yield* new OrgTokenRejected({ status: 403, message: `the token is for org '${claims.org}', not '${orgId}'` })
    }
    return { orgId, subject: typeof claims.sub === "string" ? claims.sub : undefined }
  })
