import { describe, expect, it } from "@effect/vitest"
import { createHmac } from "node:crypto"
import { Cause, ConfigProvider, DateTime, Duration, Effect, Exit, FastCheck as fc, Option, Redacted } from "effect"
import type { NormalizedEvent } from "../../src/domain/Event.js"
import { decode, envSecrets, MailgunTokens, provider, replayWindow, verify } from "../../src/providers/Mailgun.js"
import { trackedEvents } from "../../src/providers/MailgunEvents.js"
import type { WebhookRequest } from "../../src/providers/Webhook.js"
import { PayloadRejected, SignatureRejected } from "../../src/providers/Webhook.js"

const bytes = (text: string) => new TextEncoder().encode(text)
const at = (seconds: number) => DateTime.unsafeMake(seconds * 1000)

const requestOf = (body: unknown, receivedAt: DateTime.Utc): WebhookRequest => ({
  rawBody: typeof body === "string" ? bytes(body) : bytes(JSON.stringify(body)),
  headers: { "content-type": "application/json" },
  url: "https://track.example.com/connect/webhook/mailgun",
  receivedAt
})

/** MG-1, PROVIDERS.md 2.3 (mailgun-php tests/Api/WebhookTest.php). */
const mg1 = {
  key: "key-3ax6xnjp29jd6fds4gc373sgvjxteol0",
  timestamp: "1403645220",
  token: "5egbgr1vjgqxtrnp65xfznchgdccwh5d6i09vijqi3whgowmn6",
  signature: "9cfc5c41582e51246e73c88d34db3af0a3a2692a76fbab81492842f000256d33"
}
const mg1Secrets = { signingKey: Redacted.make(mg1.key) }
const mg1Received = at(1403645225)

const eventData = { event: "delivered", id: "W3X4JOhFT-OZidZGKKr9iA", timestamp: 1403645219.5, recipient: "alice@example.com", message: { headers: { "message-id": "20140624213700.1.2A6098970A380E12@example.org" } } }
const mg1Body = (signature: Record<string, unknown> = {}) => ({
  signature: { timestamp: mg1.timestamp, token: mg1.token, signature: mg1.signature, ...signature },
  "event-data": eventData
})

const fresh = <A, E>(effect: Effect.Effect<A, E, MailgunTokens>) => Effect.provide(effect, MailgunTokens.Default)
const checkOf = (body: unknown, receivedAt = mg1Received, secrets: typeof mg1Secrets | undefined = mg1Secrets) =>
  Effect.flip(verify(secrets, requestOf(body, receivedAt))).pipe(Effect.map((error) => error.check))

const hmac = (key: string, timestamp: string, token: string) => createHmac("sha256", key).update(timestamp + token).digest("hex")

/** A body signed as Mailgun signs it: HMAC-SHA256 of timestamp + token with the signing key. */
const signed = (data: unknown, options: { timestamp?: number; token?: string; key?: string } = {}) => {
  const timestamp = String(options.timestamp ?? 1767268800)
  const token = options.token ?? `token-${Math.random().toString(36).slice(2)}${"x".repeat(30)}`
  return { signature: { timestamp, token, signature: hmac(options.key ?? mg1.key, timestamp, token) }, "event-data": data }
}

describe("Mailgun signatures", () => {
  it.effect("the MG-1 vector verifies, with the timestamp as a string or a number", () =>
    Effect.gen(function* () {
      yield* fresh(verify(mg1Secrets, requestOf(mg1Body(), mg1Received)))
      yield* fresh(provider.verify(mg1Secrets, requestOf(mg1Body({ timestamp: 1403645220, signature: mg1.signature.toUpperCase() }), mg1Received)))
    })
  )

  it.effect("MG-1's bad token and empty case are rejected", () =>
    fresh(Effect.gen(function* () {
      expect(yield* checkOf(mg1Body({ token: "owyldpe6nxhmrn78epljl6bj0orrki1u3d2v5e6cnlmmuox8jr" }))).toBe("signature-mismatch")
      expect(yield* checkOf(mg1Body({ timestamp: "0", token: "", signature: "" }), at(0))).toBe("missing-signature")
    }))
  )

  it.effect("mailgun-go's case: its HMAC verifies and hex(\"badsignature\") is refused", () =>
    fresh(Effect.gen(function* () {
      const secrets = { signingKey: Redacted.make("webhook-signing-key") }
      const good = { signature: { timestamp: "123456789", token: "token", signature: hmac("webhook-signing-key", "123456789", "token") } }
      yield* verify(secrets, requestOf(good, at(123456789)))
      const bad = { signature: { timestamp: "123456789", token: "token", signature: Buffer.from("badsignature").toString("hex") } }
      expect(yield* checkOf(bad, at(123456789), secrets)).toBe("malformed-signature")
    }))
  )

  it.effect("a token is honoured once: the same signature again is a replayed-token, another token passes", () =>
    fresh(Effect.gen(function* () {
      yield* verify(mg1Secrets, requestOf(mg1Body(), mg1Received))
      expect(yield* checkOf(mg1Body(), at(1403645230))).toBe("replayed-token")
      yield* verify(mg1Secrets, requestOf(signed(eventData, { timestamp: 1403645220, token: "another-token" }), mg1Received))
    }))
  )

  it.effect("the signature does not cover event-data, so a second body under an accepted token is refused", () =>
    fresh(Effect.gen(function* () {
      yield* verify(mg1Secrets, requestOf(mg1Body(), mg1Received))
      const forged = { ...mg1Body(), "event-data": { ...eventData, event: "complained" } }
      expect(yield* checkOf(forged)).toBe("replayed-token")
    }))
  )

  it.effect("a rejected signature does not use up its token", () =>
    fresh(Effect.gen(function* () {
      expect(yield* checkOf(mg1Body(), at(1403645220 + 601))).toBe("timestamp-out-of-window")
      yield* verify(mg1Secrets, requestOf(mg1Body(), mg1Received))
    }))
  )

  it.effect("a timestamp more than ten minutes from the time of receipt, either way, is out of the window", () =>
    Effect.gen(function* () {
      expect(Duration.toSeconds(replayWindow)).toBe(600)
      yield* fresh(verify(mg1Secrets, requestOf(mg1Body(), at(1403645220 + 600))))
      yield* fresh(verify(mg1Secrets, requestOf(mg1Body(), at(1403645220 - 600))))
      expect(yield* fresh(checkOf(mg1Body(), at(1403645220 + 601)))).toBe("timestamp-out-of-window")
      expect(yield* fresh(checkOf(mg1Body(), at(1403645220 - 601)))).toBe("timestamp-out-of-window")
    })
  )

  it.effect("malformed signatures, timestamps and tokens are named without throwing", () =>
    fresh(Effect.gen(function* () {
      for (const signature of [mg1.signature.slice(1), `${mg1.signature}00`, "z".repeat(64), `sha256=${mg1.signature}`]) {
        expect(yield* checkOf(mg1Body({ signature }))).toBe("malformed-signature")
      }
      for (const timestamp of ["yesterday", "-1403645220", "1403645220.5", 1403645220.5, -1]) {
        expect(yield* checkOf(mg1Body({ timestamp }))).toBe("malformed-timestamp")
      }
      expect(yield* checkOf(mg1Body({ token: "" }))).toBe("malformed-signature")
    }))
  )

  it.effect("a body without a signature object is missing-signature", () =>
    fresh(Effect.gen(function* () {
      for (const body of ["{nope", "[]", { "event-data": eventData }, { signature: { timestamp: mg1.timestamp, token: mg1.token } }, { signature: "abc" }]) {
        expect(yield* checkOf(body)).toBe("missing-signature")
      }
    }))
  )

  it.effect("without a signing key nothing verifies, and the message names the environment variable", () =>
    fresh(Effect.gen(function* () {
      for (const secrets of [undefined, { signingKey: Redacted.make("  ") }]) {
        const error = yield* Effect.flip(verify(secrets, requestOf(mg1Body(), mg1Received)))
        expect(error).toMatchObject({ _tag: "SignatureRejected", check: "missing-secret" })
        expect(error.message).toContain("MAILGUN_WEBHOOK_SIGNING_KEY")
      }
    }))
  )

  it.effect("on a subaccount, parent-signature made with the primary account's key is accepted", () =>
    fresh(Effect.gen(function* () {
      const sub = signed(eventData, { timestamp: 1403645220, token: "sub-token", key: "subaccount-key" })
      const parent = signed(eventData, { timestamp: 1403645220, token: "parent-token" }).signature
      yield* verify(mg1Secrets, requestOf({ ...sub, "parent-signature": parent }, mg1Received))
      expect(yield* checkOf(sub)).toBe("signature-mismatch")
      const wrongParent = signed(eventData, { timestamp: 1403645220, token: "p2", key: "other" }).signature
      expect(yield* checkOf({ ...sub, "parent-signature": wrongParent })).toBe("signature-mismatch")
    }))
  )

  it.effect("remembered tokens are dropped once a replay of them would fail the timestamp check anyway", () =>
    fresh(Effect.gen(function* () {
      const tokens = yield* MailgunTokens
      expect(yield* tokens.remember("a", at(1000))).toBe(true)
      expect(yield* tokens.remember("b", at(1001))).toBe(true)
      expect(yield* tokens.remember("a", at(1000 + 1199))).toBe(false)
      expect(yield* tokens.size).toBe(2)
      expect(yield* tokens.remember("c", at(1001 + 1200))).toBe(true)
      expect(yield* tokens.size).toBe(1)
    }))
  )

  it.effect("the environment variable yields the key, none when unset or blank", () =>
    Effect.gen(function* () {
      const fromEnv = (value: string | undefined) =>
        envSecrets.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(value === undefined ? [] : [["MAILGUN_WEBHOOK_SIGNING_KEY", value]]))))
      expect((yield* fromEnv(mg1.key)).pipe(Option.map((s) => Redacted.value(s.signingKey)))).toEqual(Option.some(mg1.key))
      expect(yield* fromEnv(undefined)).toEqual(Option.none())
      expect(yield* fromEnv(" ")).toEqual(Option.none())
    })
  )

  it.prop("any signature object and body end in success or SignatureRejected, never a defect", [
    fc.record({ timestamp: fc.oneof(fc.string(), fc.double(), fc.integer()), token: fc.string(), signature: fc.oneof(fc.string(), fc.hexaString({ minLength: 64, maxLength: 64 })) }),
    fc.jsonValue()
  ], ([signature, data]) => {
    const exit = Effect.runSyncExit(fresh(verify(mg1Secrets, requestOf({ signature, "event-data": data }, mg1Received))))
    if (Exit.isFailure(exit)) expect(Cause.failureOption(exit.cause).pipe(Option.getOrUndefined)).toBeInstanceOf(SignatureRejected)
  })
})

const message = { headers: { to: "joan@example.com", "message-id": "20180622211249.1.2A6098970A380E12@example.org", from: "john@example.org", subject: "Test Subject" }, attachments: [], size: 867 }
const data = (fields: Record<string, unknown>) => ({
  id: "pl271FzxTTmGRW8Uj3dUWw", timestamp: 1529701969.818328, "log-level": "info", recipient: "Joan@Example.com", "recipient-domain": "example.com",
  message, tags: [], campaigns: [], "user-variables": {}, flags: { "is-authenticated": true }, ...fields
})

const decodeData = (fields: Record<string, unknown>) =>
  Effect.flatMap(decode(requestOf(signed(data(fields)), at(1767268800)), "org-1"), (events) => Effect.fromNullable(events[0]).pipe(Effect.orDie))
const rejected = (body: unknown) => Effect.flip(decode(requestOf(body, at(0)), "org-1"))

describe("Mailgun events", () => {
  it.effect("a delivered event maps every field, keyed by id and timestamp and correlated by Message-Id", () =>
    Effect.gen(function* () {
      const delivered = yield* decodeData({
        event: "delivered",
        "delivery-status": { tls: true, "mx-host": "aspmx.l.example.com", code: 250, description: "", "session-seconds": 0.43, utf8: true, "attempt-no": 1, message: "OK", "certificate-verified": true },
        envelope: { transport: "smtp", sender: "john@example.org", "sending-ip": "209.61.154.250", targets: "joan@example.com" }
      })
      expect(delivered).toEqual({
        orgId: "org-1",
        provider: "mailgun",
        providerEventId: "pl271FzxTTmGRW8Uj3dUWw:1529701969.818328",
        providerEventName: "delivered",
        providerMessageId: "20180622211249.1.2A6098970A380E12@example.org",
        recipient: "joan@example.com",
        channel: "email",
        type: "delivered",
        occurredAt: DateTime.unsafeMake(1529701969818),
        details: {}
      } satisfies NormalizedEvent)
    })
  )

  it.effect("accepted is sent, complained and unsubscribed keep their meaning", () =>
    Effect.gen(function* () {
      expect((yield* decodeData({ event: "accepted", method: "http", envelope: { sender: "john@example.org" } })).type).toBe("sent")
      expect(yield* decodeData({ event: "complained", id: "ncV2XwymRUKbPek_MIM-Gw", timestamp: 1377214260.049634, "log-level": "warn" })).toMatchObject({
        type: "complained", providerEventId: "ncV2XwymRUKbPek_MIM-Gw:1377214260.049634", occurredAt: DateTime.unsafeMake(1377214260049)
      })
      const unsubscribed = yield* decodeData({
        event: "unsubscribed", ip: "50.56.129.169", "client-info": { "client-type": "browser", "user-agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_8_4) Chrome/28.0" }
      })
      expect(unsubscribed.type).toBe("unsubscribed")
      expect(unsubscribed.details).toEqual({ ip: "50.56.129.169", userAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_8_4) Chrome/28.0" })
    })
  )

  it.effect("opens and clicks carry ip, user agent and url, flagged machine by the user agent", () =>
    Effect.gen(function* () {
      const opened = yield* decodeData({
        event: "opened", ip: "111.111.111.111", geolocation: { country: "US" },
        "client-info": { "client-type": "mobile browser", "client-os": "iOS", "device-type": "mobile", "user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 6_1 like Mac OS X) Mobile/10B143" }
      })
      expect(opened.type).toBe("opened")
      expect(opened.details).toEqual({ ip: "111.111.111.111", userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 6_1 like Mac OS X) Mobile/10B143", machine: false })
      expect((yield* decodeData({ event: "opened", "client-info": { "user-agent": "Mozilla/5.0 (via ggpht.com GoogleImageProxy)" } })).details.machine).toBe(true)
      const clicked = yield* decodeData({ event: "clicked", url: "http://google.com", ip: "127.0.0.1", "client-info": { "user-agent": "Mozilla/5.0 (X11; Linux i686) Chromium/28.0" } })
      expect(clicked.type).toBe("clicked")
      expect(clicked.details).toEqual({ url: "http://google.com", ip: "127.0.0.1", userAgent: "Mozilla/5.0 (X11; Linux i686) Chromium/28.0", machine: false })
    })
  )

  it.effect("a permanent failure with a bounce is a hard bounce with its enhanced code and the server's message", () =>
    Effect.gen(function* () {
      const bounced = yield* decodeData({
        event: "failed", severity: "permanent", reason: "generic", "log-level": "error", flags: { "is-delayed-bounce": true },
        "delivery-status": {
          "bounce-code": "5.1.1", message: "smtp; 550-5.1.1 The email account that you tried to reach does not exist.", code: 550,
          description: "I'm sorry to have to inform you that your message could not be delivered to one or more recipients.", "enhanced-code": "5.1.1"
        }
      })
      expect(bounced.type).toBe("bounced")
      expect(bounced.details).toEqual({ bounceKind: "hard", enhancedStatus: "5.1.1", reason: "smtp; 550-5.1.1 The email account that you tried to reach does not exist." })
      const relay = yield* decodeData({ event: "failed", severity: "permanent", reason: "bounce", "delivery-status": { message: "Relay Not Permitted", code: 550, description: null } })
      expect(relay.details).toEqual({ bounceKind: "hard", reason: "Relay Not Permitted" })
    })
  )

  it.effect("a permanent failure Mailgun never attempted (a suppressed address, code 605) is failed, not a bounce", () =>
    Effect.gen(function* () {
      for (const reason of ["suppress-bounce", "suppress-unsubscribe", "suppress-complaint"]) {
        const failed = yield* decodeData({
          event: "failed", severity: "permanent", reason, "log-level": "error",
          "delivery-status": { "attempt-no": 1, message: "", code: 605, description: "Not delivering to previously bounced address", "session-seconds": 0.0 }
        })
        expect(failed.type).toBe("failed")
        expect(failed.details).toEqual({ reason: "Not delivering to previously bounced address" })
      }
      expect((yield* decodeData({ event: "failed", severity: "permanent", reason: "generic", "delivery-status": { code: "605" } })).type).toBe("failed")
    })
  )

  it.effect("a permanent failure after the retry limit (old) is failed, an ESP block a soft bounce", () =>
    Effect.gen(function* () {
      const old = yield* decodeData({ event: "failed", severity: "permanent", reason: "old", "delivery-status": { code: 451, message: "4.4.1 Connection timed out" } })
      expect(old.type).toBe("failed")
      const block = yield* decodeData({ event: "failed", severity: "permanent", reason: "espblock", "delivery-status": { code: 554, "enhanced-code": "5.7.1", message: "5.7.1 Service unavailable; client host blocked" } })
      expect(block.type).toBe("soft_bounced")
      expect(block.details).toEqual({ bounceKind: "soft", enhancedStatus: "5.7.1", reason: "5.7.1 Service unavailable; client host blocked" })
    })
  )

  it.effect("a temporary failure is a soft bounce; another or no severity is failed", () =>
    Effect.gen(function* () {
      const temporary = yield* decodeData({
        event: "failed", severity: "temporary", reason: "generic", "log-level": "warn",
        "delivery-status": { tls: true, "mx-host": "hotmail-com.olc.protection.outlook.com", code: 451, "retry-seconds": 600, "enhanced-code": "4.7.652", "attempt-no": 1, message: "4.7.652 The mail server [xxx.xxx.xxx.xxx] has exceeded the maximum number of connections." }
      })
      expect(temporary.type).toBe("soft_bounced")
      expect(temporary.details).toEqual({ bounceKind: "soft", enhancedStatus: "4.7.652", reason: "4.7.652 The mail server [xxx.xxx.xxx.xxx] has exceeded the maximum number of connections." })
      expect((yield* decodeData({ event: "failed", severity: "internal" })).type).toBe("failed")
      expect((yield* decodeData({ event: "failed" })).type).toBe("failed")
    })
  )

  it.effect("a rejected message is failed with Mailgun's reason", () =>
    Effect.gen(function* () {
      const failed = yield* decodeData({ event: "rejected", reject: { reason: "Sandbox subdomains are for test purposes only.", description: "" } })
      expect(failed).toMatchObject({ type: "failed", providerEventName: "rejected" })
      expect(failed.details).toEqual({ reason: "Sandbox subdomains are for test purposes only." })
    })
  )

  it.effect("user-variables carry broadcastId, contactId and senderAccountId; other variables and shapes are ignored", () =>
    Effect.gen(function* () {
      const withVariables = yield* decodeData({ event: "delivered", "user-variables": { broadcastId: "b-1", contactId: 7, senderAccountId: "s-1", plan: "pro" } })
      expect(withVariables).toMatchObject({ broadcastId: "b-1", contactId: "7", senderAccountId: "s-1" })
      const nested = yield* decodeData({ event: "delivered", "user-variables": { broadcastId: { id: 1 } } })
      expect(Object.keys(nested)).not.toContain("broadcastId")
    })
  )

  it.effect("a Message-Id in angle brackets is correlated without them", () =>
    Effect.gen(function* () {
      const event = yield* decodeData({ event: "delivered", message: { headers: { "message-id": "<20180622211249.1.2A6098970A380E12@example.org>" } } })
      expect(event.providerMessageId).toBe("20180622211249.1.2A6098970A380E12@example.org")
    })
  )

  it.effect("stored, mailing-list and unknown events are skipped", () =>
    Effect.gen(function* () {
      for (const event of ["stored", "list_member_uploaded", "list_uploaded", "something_new"]) {
        expect(yield* decode(requestOf(signed({ event, timestamp: 1378335036.859382 }), at(0)), "org-1")).toEqual([])
      }
    })
  )

  it.effect("a missing field the mapping needs is named by its path", () =>
    Effect.gen(function* () {
      const { message: _, ...noMessage } = data({ event: "delivered" })
      expect(yield* rejected(signed(noMessage))).toMatchObject({ _tag: "PayloadRejected", path: "event-data.message" })
      expect(yield* rejected(signed(data({ event: "delivered", message: { headers: {} } })))).toMatchObject({ path: "event-data.message.headers.message-id" })
      expect(yield* rejected(signed(data({ event: "delivered", message: { headers: { "message-id": "<>" } } })))).toMatchObject({ path: "event-data.message.headers.message-id" })
      const { recipient: __, ...noRecipient } = data({ event: "opened" })
      expect(yield* rejected(signed(noRecipient))).toMatchObject({ path: "event-data.recipient" })
      expect(yield* rejected(signed(data({ event: "failed", id: " " })))).toMatchObject({ path: "event-data.id" })
      expect(yield* rejected(signed(data({ event: "failed", timestamp: "1529701969" })))).toMatchObject({ path: "event-data.timestamp" })
      expect(yield* rejected({ signature: {} })).toMatchObject({ path: "event-data" })
      expect(yield* rejected(signed({ timestamp: 1 }))).toMatchObject({ path: "event-data.event" })
      expect(yield* rejected("{nope")).toMatchObject({ path: "" })
    })
  )

  const neverDefect = (raw: Uint8Array) => {
    const exit = Effect.runSyncExit(decode({ rawBody: raw, headers: {}, url: "", receivedAt: at(0) }, "org-1"))
    if (Exit.isFailure(exit)) expect(Cause.failureOption(exit.cause).pipe(Option.getOrUndefined)).toBeInstanceOf(PayloadRejected)
  }

  it.prop("any bytes end in events or PayloadRejected, never a defect", [fc.uint8Array()], ([raw]) => neverDefect(raw))

  it.prop("any JSON in event-data ends in events or PayloadRejected, never a defect", [fc.jsonValue()], ([value]) =>
    neverDefect(bytes(JSON.stringify({ "event-data": value }))))

  const anything = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.jsonValue())
  const eventLike = fc.record({
    event: fc.oneof(fc.constantFrom(...trackedEvents, "stored"), anything),
    id: fc.oneof(fc.string(), anything),
    timestamp: fc.oneof(fc.double({ min: 0, max: 4e9, noNaN: true }), anything),
    recipient: fc.oneof(fc.emailAddress(), anything),
    message: fc.oneof(fc.record({ headers: fc.record({ "message-id": fc.oneof(fc.string(), anything) }) }), anything),
    severity: fc.oneof(fc.constantFrom("permanent", "temporary"), anything),
    reason: anything,
    "delivery-status": fc.oneof(fc.record({ code: anything, message: anything, "enhanced-code": anything }), anything),
    "client-info": anything,
    "user-variables": anything
  }, { requiredKeys: [] })

  it.prop("event-like objects end in events or PayloadRejected, never a defect", [eventLike], ([value]) =>
    neverDefect(bytes(JSON.stringify({ "event-data": value }))))
})
