import { describe, expect, it } from "@effect/vitest"
import { Cause, ConfigProvider, DateTime, Effect, Exit, FastCheck as fc, Option, Redacted, Schema } from "effect"
import type { WebhookRequest } from "../../src/providers/Webhook.js"
import { decode, envSecrets, PayloadRejected, Secrets, sign, SignatureRejected, signingKey, verify } from "../../src/providers/Resend.js"

const bytes = (text: string) => new TextEncoder().encode(text)

// Svix's official vector (svix-webhooks tests "sign function works", PROVIDERS.md 4.2).
const vector = {
  key: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestamp: 1614265330,
  payload: `{"test": 2432232314}`,
  expected: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
}

const secrets = Schema.decodeUnknownSync(Secrets)({ secret: vector.key })

const request = (
  rawBody: Uint8Array,
  headers: Record<string, string | undefined>,
  atSeconds = vector.timestamp
): WebhookRequest => ({
  rawBody,
  headers,
  url: "https://track.example.com/connect/webhook/resend",
  receivedAt: DateTime.unsafeMake(atSeconds * 1000)
})

const svix = (signature: string, overrides: Record<string, string | undefined> = {}) => ({
  "svix-id": vector.id,
  "svix-timestamp": String(vector.timestamp),
  "svix-signature": signature,
  ...overrides
})

const checkOf = (req: WebhookRequest) =>
  Effect.flip(verify(secrets, req)).pipe(Effect.map((error) => error.check))

describe("Resend (Svix) signatures", () => {
  it("the whsec_ secret decodes to the vector's 24 key bytes", () => {
    expect(signingKey(vector.key)?.toString("hex")).toBe("31f290f6bf06298aab4f08d43c3f082cf648a362da2da4b0")
    expect(signingKey("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?.toString("hex")).toBe("31f290f6bf06298aab4f08d43c3f082cf648a362da2da4b0")
  })

  it("signing the official vector gives Svix's expected signature, with or without the prefix", () => {
    expect(sign(vector.key, vector.id, vector.timestamp, vector.payload)).toBe(vector.expected)
    expect(sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", vector.id, vector.timestamp, bytes(vector.payload))).toBe(vector.expected)
  })

  it.effect("the official vector verifies with svix-* headers and with webhook-* headers", () =>
    Effect.gen(function* () {
      yield* verify(secrets, request(bytes(vector.payload), svix(vector.expected)))
      yield* verify(secrets, request(bytes(vector.payload), {
        "webhook-id": vector.id,
        "webhook-timestamp": String(vector.timestamp),
        "webhook-signature": vector.expected
      }))
      const unprefixed = Schema.decodeUnknownSync(Secrets)({ secret: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" })
      yield* verify(unprefixed, request(bytes(vector.payload), svix(vector.expected)))
    })
  )

  it.effect("a header listing decoys and other versions verifies when any v1 entry matches", () =>
    Effect.gen(function* () {
      const header = ["v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=", "v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=", vector.expected].join(" ")
      yield* verify(secrets, request(bytes(vector.payload), svix(header)))
      yield* verify(secrets, request(bytes(vector.payload), svix(`v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg== ${vector.expected}`)))
    })
  )

  it.effect("the vector's negative signatures are rejected as signature-mismatch", () =>
    Effect.gen(function* () {
      for (const signature of [
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=",
        "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
        "v1,dawfeoifkpqwoekfpqoekf",
        vector.expected.slice(0, 20)
      ]) {
        expect(yield* checkOf(request(bytes(vector.payload), svix(signature)))).toBe("signature-mismatch")
      }
    })
  )

  it.effect("a header with no usable v1 entry is rejected as malformed-signature", () =>
    Effect.gen(function* () {
      for (const signature of ["v1,", "v1", "v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=", vector.expected.slice(3), "v1x,abc"]) {
        expect(yield* checkOf(request(bytes(vector.payload), svix(signature)))).toBe("malformed-signature")
      }
    })
  )

  it.effect("a body changed by one byte, or another id, fails with signature-mismatch", () =>
    Effect.gen(function* () {
      expect(yield* checkOf(request(bytes(`{"test": 2432232315}`), svix(vector.expected)))).toBe("signature-mismatch")
      expect(yield* checkOf(request(bytes(`{"test":2432232314}`), svix(vector.expected)))).toBe("signature-mismatch")
      expect(yield* checkOf(request(bytes(vector.payload), svix(vector.expected, { "svix-id": "msg_other" })))).toBe("signature-mismatch")
    })
  )

  it.effect("timestamps up to five minutes either side verify, one second more is out of the window", () =>
    Effect.gen(function* () {
      const at = (offset: number) => {
        const timestamp = vector.timestamp + offset
        const headers = svix(sign(vector.key, vector.id, timestamp, vector.payload), { "svix-timestamp": String(timestamp) })
        return request(bytes(vector.payload), headers)
      }
      yield* verify(secrets, at(-300))
      yield* verify(secrets, at(300))
      expect(yield* checkOf(at(-301))).toBe("timestamp-out-of-window")
      expect(yield* checkOf(at(301))).toBe("timestamp-out-of-window")
      expect(yield* checkOf(request(bytes(vector.payload), svix(vector.expected), vector.timestamp + 3600))).toBe("timestamp-out-of-window")
    })
  )

  it.effect("a timestamp that is not integer seconds is rejected as malformed-timestamp", () =>
    Effect.gen(function* () {
      for (const timestamp of ["hello", "1614265330.5", "-1614265330", "1614265330000000"]) {
        expect(yield* checkOf(request(bytes(vector.payload), svix(vector.expected, { "svix-timestamp": timestamp })))).toBe("malformed-timestamp")
      }
    })
  )

  it.effect("each missing header is named", () =>
    Effect.gen(function* () {
      const missing = (name: string) => request(bytes(vector.payload), svix(vector.expected, { [name]: undefined }))
      expect(yield* checkOf(missing("svix-id"))).toBe("missing-message-id")
      expect(yield* checkOf(missing("svix-timestamp"))).toBe("missing-timestamp")
      expect(yield* checkOf(missing("svix-signature"))).toBe("missing-signature")
      expect(yield* checkOf(request(bytes(vector.payload), svix(vector.expected, { "svix-signature": "  " })))).toBe("missing-signature")
      const error = yield* Effect.flip(verify(secrets, missing("svix-signature")))
      expect(error.message).toContain("svix-signature")
    })
  )

  it.effect("without a secret nothing verifies: missing-secret names RESEND_WEBHOOK_SECRET", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(verify(undefined, request(bytes(vector.payload), svix(vector.expected))))
      expect(error).toMatchObject({ _tag: "SignatureRejected", check: "missing-secret" })
      expect(error.message).toContain("RESEND_WEBHOOK_SECRET")
      expect(error.message).toContain("connection")
    })
  )

  it("connection secrets must be a base64 signing secret and are kept redacted", () => {
    expect(Redacted.value(secrets.secret)).toBe(vector.key)
    expect(String(secrets.secret)).not.toContain("MfKQ")
    for (const secret of ["", "whsec_", "whsec_not base64!", 42]) {
      expect(Schema.decodeUnknownEither(Secrets)({ secret })._tag).toBe("Left")
    }
  })

  it.effect("RESEND_WEBHOOK_SECRET is read from the environment; unset or blank is none, garbage fails", () =>
    Effect.gen(function* () {
      const read = (env: Record<string, string>) =>
        Effect.withConfigProvider(envSecrets, ConfigProvider.fromMap(new Map(Object.entries(env))))
      const set = yield* read({ RESEND_WEBHOOK_SECRET: vector.key })
      expect(Option.map(set, (s) => Redacted.value(s.secret))).toEqual(Option.some(vector.key))
      expect(yield* read({})).toEqual(Option.none())
      expect(yield* read({ RESEND_WEBHOOK_SECRET: " " })).toEqual(Option.none())
      const error = yield* Effect.flip(read({ RESEND_WEBHOOK_SECRET: "whsec_%%%" }))
      expect(String(error)).toContain("RESEND_WEBHOOK_SECRET")
      expect(String(error)).not.toContain("%%%")
    })
  )

  it.prop(
    "any signature header and body either verify or are rejected as a SignatureRejected, never a defect",
    [fc.string(), fc.string(), fc.uint8Array()],
    ([signature, timestamp, raw]) => {
      const exit = Effect.runSyncExit(verify(secrets, request(raw, svix(signature, { "svix-timestamp": timestamp }))))
      if (Exit.isFailure(exit)) expect(Cause.failureOption(exit.cause).pipe(Option.getOrUndefined)).toBeInstanceOf(SignatureRejected)
    }
  )
})

const at = DateTime.unsafeMake("2026-02-22T23:41:12.126Z")

const email = (type: string, data: Record<string, unknown> = {}) => ({
  type,
  created_at: "2026-02-22T23:41:12.126Z",
  data: {
    created_at: "2026-02-22T23:41:11.894719+00:00",
    email_id: "56761188-7520-42d8-8898-ff6fc54ce618",
    from: "Acme <onboarding@resend.dev>",
    to: ["Delivered@Resend.dev"],
    subject: "Sending this example",
    message_id: "<111-222-333@email.amazonses.com>",
    ...data
  }
})

const decodeWith = (value: unknown, headers: Record<string, string | undefined> = { "svix-id": "msg_2Lh9KRb0pzN4LePd3XiA4xFXlpz" }) =>
  decode(request(bytes(JSON.stringify(value)), headers), "org-1")
const decodeOne = (value: unknown) => decodeWith(value).pipe(Effect.map((events) => events[0]))
const rejected = (value: unknown) => Effect.flip(decodeWith(value))

describe("Resend payloads", () => {
  it.effect("the documented email.delivery_delayed example decodes as deferred with every field", () =>
    Effect.gen(function* () {
      const raw = `{"type":"email.delivery_delayed","created_at":"2026-02-22T23:41:12.126Z","data":{"broadcast_id":"8b146471-e88e-4322-86af-016cd36fd216","created_at":"2026-02-22T23:41:11.894719+00:00","email_id":"56761188-7520-42d8-8898-ff6fc54ce618","from":"Acme <onboarding@resend.dev>","to":["delivered@resend.dev"],"subject":"Sending this example","template_id":"43f68331-0622-4e15-8202-246a0388854b","tags":{"category":"confirm_email"}}}`
      const events = yield* decode(request(bytes(raw), { "svix-id": "msg_2Lh9KRb0pzN4LePd3XiA4xFXlpz" }), "org-1")
      expect(events).toEqual([{
        orgId: "org-1",
        provider: "resend",
        providerEventId: "msg_2Lh9KRb0pzN4LePd3XiA4xFXlpz",
        providerEventName: "email.delivery_delayed",
        providerMessageId: "56761188-7520-42d8-8898-ff6fc54ce618",
        recipient: "delivered@resend.dev",
        channel: "email",
        type: "deferred",
        occurredAt: at,
        details: { category: "confirm_email" } // an org's own category (docs/decisions.md, "Categories are slugs")
      }])
    })
  )

  it.effect("sent, delivered, complained and scheduled map onto the normalized vocabulary", () =>
    Effect.gen(function* () {
      for (const [name, type] of [
        ["email.sent", "sent"],
        ["email.delivered", "delivered"],
        ["email.complained", "complained"],
        ["email.scheduled", "queued"]
      ] as const) {
        expect(yield* decodeOne(email(name))).toMatchObject({
          type,
          providerEventName: name,
          recipient: "delivered@resend.dev",
          providerMessageId: "56761188-7520-42d8-8898-ff6fc54ce618",
          occurredAt: at,
          details: {}
        })
      }
    })
  )

  it.effect("a Permanent bounce is hard, with the reason, the enhanced status and the sub-type", () =>
    Effect.gen(function* () {
      const bounced = yield* decodeOne(email("email.bounced", {
        to: ["bounced@resend.dev"],
        bounce: { type: "Permanent", subType: "General", message: "smtp; 550 5.1.1 user unknown (from 192.0.2.1)" }
      }))
      expect(bounced).toMatchObject({ type: "bounced", recipient: "bounced@resend.dev", providerEventName: "email.bounced" })
      expect(bounced?.details).toEqual({
        bounceKind: "hard",
        reason: "smtp; 550 5.1.1 user unknown (from 192.0.2.1)",
        enhancedStatus: "5.1.1",
        errorCode: "General"
      })
    })
  )

  it.effect("Transient and Undetermined bounces are soft_bounced; a bounce without a type is hard", () =>
    Effect.gen(function* () {
      for (const kind of ["Transient", "Undetermined"]) {
        const event = yield* decodeOne(email("email.bounced", { bounce: { type: kind, subType: "MailboxFull", message: "mailbox full" } }))
        expect(event).toMatchObject({ type: "soft_bounced", details: { bounceKind: "soft", reason: "mailbox full", errorCode: "MailboxFull" } })
      }
      const message = "The recipient's email provider sent a hard bounce message, but didn't specify the reason for the hard bounce."
      expect(yield* decodeOne(email("email.bounced", { bounce: { message } }))).toMatchObject({
        type: "bounced",
        details: { bounceKind: "hard", reason: message }
      })
      expect((yield* decodeOne(email("email.bounced")))?.details).toEqual({ bounceKind: "hard" })
    })
  )

  it.effect("a click carries the link, the IP and the user agent; scanners are flagged as machines", () =>
    Effect.gen(function* () {
      const click = (userAgent: string) => email("email.clicked", {
        click: { ipAddress: "198.51.100.7", link: "https://example.com/pricing", timestamp: "2026-02-22T23:45:00.000Z", userAgent }
      })
      const person = yield* decodeOne(click("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 Version/17.0 Safari/605.1.15"))
      expect(person).toMatchObject({ type: "clicked", details: { url: "https://example.com/pricing", ip: "198.51.100.7", machine: false } })
      expect((yield* decodeOne(click("Barracuda Sentinel (EE)")))?.details.machine).toBe(true)
    })
  )

  it.effect("an open decodes with or without an open object, machine opens flagged", () =>
    Effect.gen(function* () {
      expect(yield* decodeOne(email("email.opened"))).toMatchObject({ type: "opened", details: { machine: false } })
      const proxied = yield* decodeOne(email("email.opened", {
        open: { ipAddress: "66.249.84.1", userAgent: "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)" }
      }))
      expect(proxied).toMatchObject({ type: "opened", details: { ip: "66.249.84.1", machine: true } })
      expect(proxied?.details.url).toBeUndefined()
    })
  )

  it.effect("failed and suppressed emails are failed with their reason", () =>
    Effect.gen(function* () {
      expect(yield* decodeOne(email("email.failed", { failed: { reason: "reached_daily_quota" } }))).toMatchObject({
        type: "failed",
        details: { reason: "reached_daily_quota" }
      })
      const suppressed = yield* decodeOne(email("email.suppressed", {
        suppressed: { type: "OnAccountSuppressionList", message: "Resend has suppressed sending to this address." }
      }))
      expect(suppressed).toMatchObject({
        type: "failed",
        details: { reason: "Resend has suppressed sending to this address.", errorCode: "OnAccountSuppressionList" }
      })
    })
  )

  it.effect("each recipient becomes its own event, keyed by the svix-id and the recipient", () =>
    Effect.gen(function* () {
      const events = yield* decodeWith(email("email.delivered", { to: ["a@example.com", "B@example.com", "a@example.com"] }))
      expect(events.map((e) => [e.providerEventId, e.recipient])).toEqual([
        ["msg_2Lh9KRb0pzN4LePd3XiA4xFXlpz:a@example.com", "a@example.com"],
        ["msg_2Lh9KRb0pzN4LePd3XiA4xFXlpz:b@example.com", "b@example.com"]
      ])
      const single = yield* decodeWith(email("email.delivered", { to: "solo@example.com" }), { "webhook-id": "msg_abc" })
      expect(single.map((e) => [e.providerEventId, e.recipient])).toEqual([["msg_abc", "solo@example.com"]])
    })
  )

  it.effect("tags as a map or as name/value pairs carry broadcast, contact, sender account and category", () =>
    Effect.gen(function* () {
      const asMap = yield* decodeOne(email("email.delivered", {
        broadcast_id: "resend-broadcast",
        tags: { broadcastId: "b-1", contactId: "c-1", senderAccountId: "s-1", category: "marketing", other: "x" }
      }))
      expect(asMap).toMatchObject({ broadcastId: "b-1", contactId: "c-1", senderAccountId: "s-1", details: { category: "marketing" } })
      const asPairs = yield* decodeOne(email("email.delivered", {
        tags: [{ name: "contactId", value: "c-2" }, { name: "category", value: "confirm_email" }, { value: "orphan" }, 7]
      }))
      expect(asPairs).toMatchObject({ contactId: "c-2", details: {} })
      expect(asPairs?.broadcastId).toBeUndefined()
      expect((yield* decodeOne(email("email.delivered", { tags: "nonsense" })))?.contactId).toBeUndefined()
    })
  )

  it.effect("inbound, contact, domain, suppression and unknown events are skipped", () =>
    Effect.gen(function* () {
      for (const type of ["email.received", "contact.created", "domain.updated", "suppression.added", "email.teleported"]) {
        expect(yield* decodeWith({ type, created_at: "2026-02-22T23:41:12.126Z", data: { id: "x" } })).toEqual([])
      }
    })
  )

  it.effect("created_at is read as an ISO-8601 instant with any fraction and zone form", () =>
    Effect.gen(function* () {
      const when = (created_at: string) => decodeOne({ ...email("email.sent"), created_at }).pipe(Effect.map((e) => e?.occurredAt))
      expect(yield* when("2026-02-22T23:41:12.126Z")).toEqual(at)
      expect(yield* when("2026-02-22 23:41:12.126535+00:00")).toEqual(at)
      expect(yield* when("2026-02-23T01:41:12.1260000+0200")).toEqual(at)
      expect(yield* when("2026-02-22T19:41:12.126-04")).toEqual(at)
      for (const created_at of ["2026-02-22T23:41:12+25:00", "2026-02-22T24:00:00Z", "22/02/2026", ""]) {
        expect(yield* rejected({ ...email("email.sent"), created_at })).toMatchObject({ path: "created_at" })
      }
    })
  )

  it.effect("a missing or unusable field the mapping needs is named", () =>
    Effect.gen(function* () {
      const { email_id: _, ...withoutId } = email("email.delivered").data
      expect(yield* rejected({ ...email("email.delivered"), data: withoutId })).toMatchObject({ _tag: "PayloadRejected", path: "data.email_id" })
      expect(yield* rejected(email("email.delivered", { to: [] }))).toMatchObject({ path: "data.to" })
      expect(yield* rejected(email("email.delivered", { to: ["  "] }))).toMatchObject({ path: "data.to" })
      expect(yield* rejected(email("email.delivered", { to: 5 }))).toMatchObject({ path: "data.to" })
      expect(yield* rejected({ ...email("email.sent"), created_at: "2026-02-22T23:41:12" })).toMatchObject({ path: "created_at" })
      expect(yield* rejected({ ...email("email.sent"), created_at: "2026-02-30T23:41:12Z" })).toMatchObject({ path: "created_at" })
      expect(yield* rejected({ created_at: "2026-02-22T23:41:12Z" })).toMatchObject({ path: "type" })
      expect(yield* rejected(email("email.bounced", { bounce: { type: 1 } }))).toMatchObject({ path: "data.bounce.type" })
      const noHeader = yield* Effect.flip(decodeWith(email("email.sent"), {}))
      expect(noHeader).toMatchObject({ path: "headers.svix-id" })
    })
  )

  it.effect("a body that is not JSON or not an object is rejected at the root", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(decode(request(bytes("{nope"), { "svix-id": "msg_1" }), "org-1"))
      expect(error).toMatchObject({ _tag: "PayloadRejected", path: "" })
      expect(yield* rejected([email("email.sent")])).toMatchObject({ path: "" })
    })
  )

  it.prop("any JSON value either decodes or is rejected as a PayloadRejected, never a defect", [fc.jsonValue()], ([value]) => {
    const exit = Effect.runSyncExit(decodeWith(value))
    if (Exit.isFailure(exit)) expect(Cause.failureOption(exit.cause).pipe(Option.getOrUndefined)).toBeInstanceOf(PayloadRejected)
  })

  it.prop("any bytes either decode or are rejected as a PayloadRejected, never a defect", [fc.uint8Array()], ([raw]) => {
    const exit = Effect.runSyncExit(decode(request(raw, { "svix-id": "msg_1" }), "org-1"))
    if (Exit.isFailure(exit)) expect(Cause.failureOption(exit.cause).pipe(Option.getOrUndefined)).toBeInstanceOf(PayloadRejected)
  })

  it.prop(
    "any email event shape with arbitrary fields decodes or is rejected, never a defect",
    [fc.constantFrom(...["email.sent", "email.bounced", "email.clicked", "email.opened", "email.failed"]), fc.dictionary(fc.string(), fc.jsonValue())],
    ([type, data]) => {
      const exit = Effect.runSyncExit(decodeWith(email(type, data)))
      if (Exit.isFailure(exit)) expect(Cause.failureOption(exit.cause).pipe(Option.getOrUndefined)).toBeInstanceOf(PayloadRejected)
    }
  )
})
