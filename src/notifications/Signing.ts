import { createHmac, randomBytes } from "node:crypto"

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com, "Signature scheme"): the secret is
 * `whsec_` + base64 of 24 random bytes; the signature of a message is `v1,` + base64 of
 * HMAC-SHA256(key bytes, `${webhook-id}.${webhook-timestamp}.${body}`). Several space-separated
 * signatures let a receiver verify with the old secret or the new one while a rotation settles.
 */

export const secretPrefix = "whsec_"

export const newSecret = (): string => `${secretPrefix}${randomBytes(24).toString("base64")}`

const keyOf = (secret: string) => Buffer.from(secret.slice(secretPrefix.length), "base64")

export const signature = (secret: string, id: string, timestamp: number, body: string): string =>
  `v1,${createHmac("sha256", keyOf(secret)).update(`${id}.${timestamp}.${body}`).digest("base64")}`

/** The three headers of a signed message, signed by each secret given (the current one first). */
export const signedHeaders = (secrets: ReadonlyArray<string>, id: string, timestamp: number, body: string) => ({
  "webhook-id": id,
  "webhook-timestamp": String(timestamp),
  "webhook-signature": secrets.map((secret) => signature(secret, id, timestamp, body)).join(" ")
})
