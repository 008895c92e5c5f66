import { FastCheck as fc } from "effect"
import { sign as signNode } from "node:crypto"
import { storable } from "../../src/domain/JsonText.js"
import * as Generic from "../../src/providers/Generic.js"
import * as Resend from "../../src/providers/Resend.js"
import * as Twilio from "../../src/providers/Twilio.js"
import {
  basic, genericDefaultSecret, mailgunDefaultKey, mailgunRequest, nowSeconds, postmarkDefault, publicBaseUrl, resendDefaultSecret,
  sendgridDefault, snsRequest, twilioDefaultToken, unique
} from "./signing.js"

/** What a careless sender or an attacker posts: one request's body, and whether to sign it. */
export interface Attempt {
  readonly body: Uint8Array
  readonly signed: boolean
}

const text = (value: string) => new TextEncoder().encode(value)

const validEvent = () => ({
  id: unique("fz-"), type: "delivered", timestamp: new Date().toISOString(), messageId: unique("m-"), recipient: "ada@example.com",
  data: { reason: "ok" }
})

/** Replaces, deletes or inserts a few characters of a valid body: near misses reach the decoders. */
const mutated = fc.tuple(fc.array(fc.tuple(fc.nat(), fc.constantFrom("replace", "delete", "insert"), fc.string16bits({ maxLength: 3 })), { minLength: 1, maxLength: 4 }))
  .map(([edits]) => {
    let body = JSON.stringify([validEvent()])
    for (const [at, kind, chars] of edits) {
      const i = at % (body.length + 1)
      body = kind === "delete" ? body.slice(0, i) + body.slice(i + 1) : body.slice(0, i) + chars + body.slice(kind === "replace" ? i + chars.length : i)
    }
    return text(body)
  })

const injected = fc.constantFrom("\u0000", "\\u0000", "\ud800", "\\ud800", "\\udfff", "x".repeat(300_000), "=cmd|' /C calc'!A0", "<script>", "")
  .map((value) => text(JSON.stringify([{ ...validEvent(), recipient: value, data: { reason: value } }]).replace(/"\\\\u/g, "\"\\u")))

/** Bodies of every kind: JSON of any shape, near misses, poisoned strings, deep nesting, raw bytes. */
export const hostileBody: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.jsonValue({ maxDepth: 6 }).map((value) => text(JSON.stringify(value))),
  mutated,
  injected,
  fc.integer({ min: 60, max: 100_000 }).map((depth) => text(`${"[".repeat(depth)}${"{\"a\":".repeat(depth % 7)}`)),
  fc.uint8Array({ maxLength: 512 }),
  fc.constant(Uint8Array.from([0xff, 0xfe, ...Buffer.from("[{\"id\":\"x\"}]", "utf16le")])),
  fc.constant(new Uint8Array())
)

export const hostileAttempt: fc.Arbitrary<Attempt> = fc.record({ body: hostileBody, signed: fc.boolean() })

interface Request {
  readonly body: Uint8Array | string
  readonly headers: Record<string, string>
}

/** Each webhook route with how its vendor signs a body (for Mailgun, SNS and Twilio the body is wrapped). */
export const webhookRoutes: ReadonlyArray<{ readonly path: string; readonly request: (attempt: Attempt) => Request }> = [
  {
    path: "/connect/webhook/generic",
    request: ({ body, signed }) => ({
      body, headers: { "content-type": "application/json", ...(signed ? { "x-webhook-signature": `sha256=${Generic.sign(genericDefaultSecret, body)}` } : {}) }
    })
  },
  {
    path: "/connect/webhook/sendgrid",
    request: ({ body, signed }) => {
      const timestamp = String(nowSeconds())
      const signature = signNode("sha256", Buffer.concat([Buffer.from(timestamp), body]), { key: sendgridDefault.privateKey, dsaEncoding: "der" })
      return {
        body,
        headers: {
          "content-type": "application/json",
          ...(signed ? { "x-twilio-email-event-webhook-signature": signature.toString("base64"), "x-twilio-email-event-webhook-timestamp": timestamp } : {})
        }
      }
    }
  },
  {
    path: "/connect/webhook/mailgun",
    request: ({ body, signed }) => signed ? mailgunRequest(mailgunDefaultKey, new TextDecoder().decode(body)) : { body, headers: { "content-type": "application/json" } }
  },
  {
    path: "/connect/webhook/resend",
    request: ({ body, signed }) => {
      const id = unique("msg_")
      const timestamp = nowSeconds()
      return {
        body,
        headers: {
          "content-type": "application/json",
          ...(signed ? { "svix-id": id, "svix-timestamp": String(timestamp), "svix-signature": Resend.sign(resendDefaultSecret, id, timestamp, body) } : {})
        }
      }
    }
  },
  {
    path: "/connect/webhook/postmark",
    request: ({ body, signed }) => ({
      body, headers: { "content-type": "application/json", ...(signed ? { authorization: basic(postmarkDefault.user, postmarkDefault.password) } : {}) }
    })
  },
  {
    path: "/connect/webhook/twilio/status",
    request: ({ body, signed }) => {
      const params: Array<[string, string]> = [["MessageSid", unique("SM")], ["MessageStatus", "delivered"], ["To", new TextDecoder().decode(body).slice(0, 2000)]]
      const form = new URLSearchParams(params).toString()
      const signature = Twilio.sign(twilioDefaultToken, `${publicBaseUrl}/connect/webhook/twilio/status`, params)
      return { body: signed ? form : body, headers: { "content-type": "application/x-www-form-urlencoded", ...(signed ? { "x-twilio-signature": signature } : {}) } }
    }
  },
  {
    path: "/connect/webhook/twilio/inbound",
    request: ({ body, signed }) => {
      const params: Array<[string, string]> = [["MessageSid", unique("SM")], ["From", "+15550001111"], ["Body", new TextDecoder().decode(body).slice(0, 2000)]]
      const form = new URLSearchParams(params).toString()
      const signature = Twilio.sign(twilioDefaultToken, `${publicBaseUrl}/connect/webhook/twilio/inbound`, params)
      return { body: signed ? form : body, headers: { "content-type": "application/x-www-form-urlencoded", ...(signed ? { "x-twilio-signature": signature } : {}) } }
    }
  },
  {
    path: "/api/ses-events",
    request: ({ body, signed }) => signed
      ? { ...snsRequest({ Message: new TextDecoder().decode(body) }), headers: { "content-type": "text/plain; charset=UTF-8", "x-amz-sns-message-type": "Notification" } }
      : { body, headers: { "content-type": "text/plain; charset=UTF-8", "x-amz-sns-message-type": "Notification" } }
  }
]

/** Fills an OpenAPI path template (`/broadcast/{id}`) with a value that may be anything. */
export const fillPath = (template: string, value: string) =>
  template.replace(/\{[^}]+\}/g, () => encodeURIComponent(storable(value))) // a URL cannot carry a lone surrogate

/** Path parameter values: plausible, odd, and hostile. */
export const hostileParam = fc.oneof(fc.stringMatching(/^[a-z0-9_-]{1,20}$/), fc.string16bits({ maxLength: 30 }), fc.constantFrom("%00", "..", "x".repeat(5000)))

/** Valid bodies of the org API's JSON routes (docs/api.md), for poisoning one string at a time. */
export const apiSeeds: Record<string, unknown> = {
  "/broadcast": { name: "Spring sale", category: "marketing", channels: ["email", "sms"] },
  "/broadcast/{id}/deliveries": {
    deliveries: [{ recipient: "ada@example.com", channel: "email", provider: "sendgrid", providerMessageId: "sg-1", contactId: "c-ada", senderAccountId: "mail.acme.com", status: "sent", cost: { value: 0.001, unit: "USD" } }]
  },
  "/broadcast/{id}/push-results": { results: [{ recipient: "fcm-token-1", provider: "fcm", contactId: "c-ada", messageId: "projects/p/messages/1", success: true }] },
  "/broadcast/{id}/retry-list": { statuses: ["failed", "bounced"] },
  "/tracking/render": { deliveryId: 1, html: "<p><a href=\"https://shop.example/new\">see</a></p>", category: "marketing" },
  "/repository/create/analytics_event": { deliveryId: 1, type: "clicked", url: "myapp://promo/7", at: "2026-05-01T12:03:00Z" },
  "/suppressions/check": { channel: "email", addresses: ["ada@example.com", "grace@example.com"], category: "marketing" },
  "/suppressions": { channel: "email", address: "ada@example.com", reason: "admin", category: "marketing", note: "asked by phone" },
  "/suppressions/{channel}/{address}": { reason: "fixed" },
  "/contacts/import": [{ email: "ada@example.com", phone: "+442079460958", name: "Ada", attributes: { plan: "pro" } }],
  "/admin/connections": { orgId: "acme", vendor: "generic", secrets: { secret: "s3cret" } }
}

const poison = fc.constantFrom("\u0000", "a\ud800b", "\udfff", "x".repeat(70_000), "=HYPERLINK(\"x\")", "", " ", "ü".repeat(300))

/** The seed with its n-th string (cyclically) replaced by a hostile one. */
export const poisoned = (seed: unknown): fc.Arbitrary<Uint8Array> =>
  fc.tuple(fc.nat(), poison).map(([n, bad]) => {
    const strings: Array<(value: string) => void> = []
    const copy = JSON.parse(JSON.stringify(seed)) as unknown
    const walk = (node: unknown) => {
      if (Array.isArray(node)) node.forEach((v, i) => typeof v === "string" ? strings.push((s) => (node[i] = s)) : walk(v))
      else if (node !== null && typeof node === "object") {
        const record = node as Record<string, unknown>
        for (const [k, v] of Object.entries(record)) typeof v === "string" ? strings.push((s) => (record[k] = s)) : walk(v)
      }
    }
    walk(copy)
    if (strings.length > 0) strings[n % strings.length]!(bad)
    return text(JSON.stringify(copy))
  })
