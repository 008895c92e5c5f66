import { existsSync, mkdirSync } from "node:fs"
import * as path from "node:path"
import { Schema } from "effect"
import { SignJWT } from "jose"
import { sign } from "../../src/providers/Generic.js"
import { unique } from "./signing.js"
import { adminKey } from "./webhooks.js"

export { adminKey }

// The dashboard's browser test: where Chromium is, the service's settings, and an org seeded through
// the public API and signed webhooks only.

export const org = "acme"
export const jwtSecret = "dashboard-test-jwt-secret"
export const webhookSecret = "dashboard-test-webhook-secret"
export const hostileRecipient = "<img src=x onerror=alert(1)>"
export const hostileReason = "<script>alert(2)</script> mailbox full"

/** Debian's `chromium`, or CHROMIUM_PATH. */
export const chromiumPath = (): string | undefined => {
  const configured = process.env.CHROMIUM_PATH
  if (configured !== undefined && configured !== "") return configured
  return existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined
}

/** Headless, as root, and with nothing that reaches for the network (the machine has none). */
export const chromiumArgs = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"
]

/** Screenshots of the run: test-results/ (gitignored); a few are copied to docs/images by hand. */
export const screenshotDir = () => {
  const dir = path.resolve(import.meta.dirname, "../../test-results/dashboard")
  mkdirSync(dir, { recursive: true })
  return dir
}

export const orgToken = () => new SignJWT({ org, sub: "dashboard-test" }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("1h").sign(new TextEncoder().encode(jwtSecret))

/** A sample of 50 sends is enough to flag a sender account: the seed's bounces flag mail.acme.com. */
// NOTIFICATION_ALLOWED_HOSTS: the test's notification receiver listens on 127.0.0.1.
export const serviceEnvironment = {
  JWT_SECRET: jwtSecret, GENERIC_WEBHOOK_SECRET: webhookSecret, ADMIN_API_KEY: adminKey, DEFAULT_ORG_ID: org, SENDER_MIN_SAMPLE: "50",
  NOTIFICATION_ALLOWED_HOSTS: "127.0.0.1"
}

/** A JSON call to the org API as the test org. */
export const api = async (baseUrl: string, method: string, route: string, body?: unknown): Promise<unknown> => {
  const response = await fetch(`${baseUrl}${route}`, {
    method,
    headers: { authorization: `Bearer ${await orgToken()}`, orgid: org, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  if (!response.ok) throw new Error(`${method} ${route} answered ${response.status}: ${await response.text()}`)
  return response.headers.get("content-type")?.startsWith("application/json") ? response.json() : response.text()
}

export const webhook = async (baseUrl: string, events: ReadonlyArray<Record<string, unknown>>, expectedStatus = 200) => {
  const text = JSON.stringify(events)
  const response = await fetch(`${baseUrl}/connect/webhook/generic`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-webhook-signature": `sha256=${sign(webhookSecret, text)}` },
    body: text
  })
  if (response.status !== expectedStatus) throw new Error(`the webhook answered ${response.status}: ${await response.text()}`)
}

export const recipientOf = (i: number) => `reader${String(i).padStart(2, "0")}@example.com`

export interface Seeded {
  readonly broadcastId: string
  readonly recipients: ReadonlyArray<string>
}

/**
 * One marketing broadcast of 60 email rows (the last one's recipient is hostile markup) registered as
 * sent, then provider events: 50 delivered, 20 opened (5 by a machine), 6 clicked, 5 hard bounces (one
 * with a hostile reason) and a complaint.
 */
export const seed = async (baseUrl: string): Promise<Seeded> => {
  const { id } = Schema.decodeUnknownSync(Schema.Struct({ id: Schema.String }))(
    await api(baseUrl, "POST", "/broadcast", { name: "Spring sale", category: "marketing", channels: ["email"] }))
  const recipients = [...Array.from({ length: 59 }, (_, i) => recipientOf(i)), hostileRecipient]
  await api(baseUrl, "POST", `/broadcast/${id}/deliveries`, {
    deliveries: recipients.map((recipient, i) => ({
      recipient, channel: "email", provider: "generic", providerMessageId: `m-${i}`, status: "sent", senderAccountId: "mail.acme.com"
    }))
  })
  // Just after the registration, so each chronology starts with its `sent`.
  const at = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString()
  const event = (i: number, type: string, seconds: number, data: Record<string, unknown> = {}) =>
    ({ id: unique("evt-"), type, timestamp: at(seconds), messageId: `m-${i}`, recipient: recipients[i], broadcastId: id, senderAccountId: "mail.acme.com", data })
  await webhook(baseUrl, [
    ...Array.from({ length: 50 }, (_, i) => event(i, "delivered", 1)),
    ...Array.from({ length: 20 }, (_, i) => event(i, "opened", 5, { userAgent: i < 5 ? "GoogleImageProxy" : "Mozilla/5.0", machine: i < 5 })),
    ...Array.from({ length: 6 }, (_, i) => event(i + 5, "clicked", 8, { url: "https://example.com/sale?x=<b>bold</b>", userAgent: "Mozilla/5.0" })),
    ...Array.from({ length: 5 }, (_, i) => event(50 + i, "bounced", 2, { bounceKind: "hard", reason: i === 0 ? hostileReason : "550 5.1.1 user unknown" })),
    event(55, "complained", 9),
    event(59, "delivered", 1)
  ])
  await webhook(baseUrl, history())
  return { broadcastId: id, recipients }
}

/**
 * Fifty days of earlier traffic outside any broadcast (its own messages), a few sends a day, so the
 * stats have a shape and the overview a previous period to compare with.
 */
const history = () => Array.from({ length: 50 }, (_, day) => day + 1).flatMap((daysAgo) => {
  const at = new Date(Date.now() - daysAgo * 86_400_000)
  at.setUTCHours(10, 0, 0, 0)
  const sends = 4 + ((daysAgo * 7) % 9)
  return Array.from({ length: sends }, (_, k) => {
    const message = { messageId: `h-${daysAgo}-${k}`, recipient: `history${k}@example.com`, timestamp: at.toISOString() }
    const types = ["sent", ...(k < sends - 1 ? ["delivered"] : ["bounced"]), ...(k < sends / 2 ? ["opened"] : []), ...(k === 0 ? ["clicked"] : [])]
    return types.map((type) => ({ id: unique("evt-"), type, ...message, data: type === "opened" ? { machine: k === 1 } : {} }))
  }).flat()
})
