import { describe, expect, it } from "@effect/vitest"
import { Cause, ConfigProvider, DateTime, Effect, Exit, FastCheck as fc, Option, Redacted, Schema } from "effect"
import { bounceTypes } from "../../src/providers/PostmarkEvents.js"
import { decode, envSecrets, PayloadRejected, Secrets, SignatureRejected, verify } from "../../src/providers/Postmark.js"
import type { WebhookRequest } from "../../src/providers/Webhook.js"

const bytes = (text: string) => new TextEncoder().encode(text)

const request = (rawBody: Uint8Array, headers: Record<string, string | undefined> = {}): WebhookRequest => ({
  rawBody,
  headers,
  url: "https://track.example.com/connect/webhook/postmark",
  receivedAt: DateTime.unsafeMake("2026-01-01T12:00:00Z")
})

const secrets = Schema.decodeUnknownSync(Secrets)({ user: "postmark", password: "s3cret:with-colon" })
const basic = (credentials: string) => ({ authorization: `Basic ${Buffer.from(credentials).toString("base64")}` })
const body = bytes(`{"RecordType":"Delivery"}`)

const rejection = (headers: Record<string, string | undefined>, configured: Option.Option<Secrets> = Option.some(secrets)) =>
  Effect.flip(verify(Option.getOrUndefined(configured), request(body, headers)))

describe("Postmark Basic credentials", () => {
  it.effect("the configured user and password verify, the password may hold colons, the scheme any case", () =>
    Effect.gen(function* () {
      yield* verify(secrets, request(body, basic("postmark:s3cret:with-colon")))
      const token = Buffer.from("postmark:s3cret:with-colon").toString("base64")
      yield* verify(secrets, request(body, { authorization: ` basic   ${token} ` }))
    })
  )

  it.effect("no Basic credentials is missing-credentials with status 401", () =>
    Effect.gen(function* () {
      for (const authorization of [undefined, "", "Basic", "Basic ", "Bearer abc", `Digest ${Buffer.from("postmark:x").toString("base64")}`]) {
        expect(yield* rejection({ authorization })).toMatchObject({ _tag: "SignatureRejected", check: "missing-credentials", status: 401 })
      }
    })
  )

  it.effect("a wrong user, a wrong password or a token without a colon is wrong-credentials with status 403", () =>
    Effect.gen(function* () {
      for (const credentials of ["postmark:wrong", "Postmark:s3cret:with-colon", "other:s3cret:with-colon", "postmark", "postmark:s3cret", ":"]) {
        const error = yield* rejection(basic(credentials))
        expect(error).toMatchObject({ check: "wrong-credentials", status: 403 })
        expect(error.message).toContain("Authorization")
      }
      expect(yield* rejection({ authorization: "Basic !!!not-base64!!!" })).toMatchObject({ check: "wrong-credentials", status: 403 })
    })
  )

  it.effect("without configured credentials nothing verifies: missing-secret names both variables", () =>
    Effect.gen(function* () {
      const error = yield* rejection(basic("postmark:s3cret:with-colon"), Option.none())
      expect(error.check).toBe("missing-secret")
      expect(error.message).toContain("POSTMARK_WEBHOOK_USER")
      expect(error.message).toContain("POSTMARK_WEBHOOK_PASSWORD")
      expect(error.message).toContain("connection")
    })
  )

  it("connection secrets need a user without a colon and a password, and stay redacted", () => {
    expect(Redacted.value(secrets.password)).toBe("s3cret:with-colon")
    expect(String(secrets.password)).not.toContain("s3cret")
    for (const input of [{ user: "a:b", password: "p" }, { user: "", password: "p" }, { user: "u", password: "" }, { user: "u" }]) {
      expect(Schema.decodeUnknownEither(Secrets)(input)._tag).toBe("Left")
    }
  })

  it.effect("the environment gives both credentials or neither; one alone is a configuration error naming the other", () =>
    Effect.gen(function* () {
      const read = (env: Record<string, string>) =>
        Effect.withConfigProvider(envSecrets, ConfigProvider.fromMap(new Map(Object.entries(env))))
      const both = yield* read({ POSTMARK_WEBHOOK_USER: "postmark", POSTMARK_WEBHOOK_PASSWORD: "pw" })
      expect(Option.map(both, (s) => [Redacted.value(s.user), Redacted.value(s.password)])).toEqual(Option.some(["postmark", "pw"]))
      expect(yield* read({})).toEqual(Option.none())
      expect(yield* read({ POSTMARK_WEBHOOK_USER: "", POSTMARK_WEBHOOK_PASSWORD: "" })).toEqual(Option.none())
      expect(String(yield* Effect.flip(read({ POSTMARK_WEBHOOK_USER: "postmark" })))).toContain("POSTMARK_WEBHOOK_PASSWORD")
      expect(String(yield* Effect.flip(read({ POSTMARK_WEBHOOK_PASSWORD: "pw" })))).toContain("POSTMARK_WEBHOOK_USER")
    })
  )

  it.prop("any Authorization header either verifies or is rejected as a SignatureRejected, never a defect", [fc.string()], ([authorization]) => {
    const exit = Effect.runSyncExit(verify(secrets, request(body, { authorization })))
    if (Exit.isFailure(exit)) expect(Cause.failureOption(exit.cause).pipe(Option.getOrUndefined)).toBeInstanceOf(SignatureRejected)
  })
})

const metadata = { broadcastId: "b-1", contactId: "c-1", senderAccountId: "s-1", category: "marketing", plan: "pro" }

const delivery = {
  RecordType: "Delivery",
  ServerID: 23,
  MessageStream: "outbound",
  MessageID: "883953f4-6105-42a2-a16a-77a8eac79483",
  Recipient: "John@Example.com",
  Tag: "welcome-email",
  DeliveredAt: "2019-11-05T16:33:54.9070259Z",
  Details: "smtp;250 2.0.0 OK 1480624905 l186si10190883ite.73 - gsmtp",
  Metadata: metadata
}

/** Anymail's realistic bounce (PROVIDERS.md 5.2). */
const bounceRaw = `{"RecordType":"Bounce","ID":901542550,"Type":"HardBounce","TypeCode":1,"ServerID":23,"Name":"Hard bounce","MessageID":"2706ee8a-737c-4285-b032-ccd317af53ed","Description":"The server was unable to deliver your message (ex: unknown user, mailbox not found).","Details":"smtp;550 5.1.1 The email account that you tried to reach does not exist.","Email":"bounce@example.com","From":"sender@example.com","BouncedAt":"2016-04-27T16:28:50.3963933-04:00","DumpAvailable":true,"Inactive":true,"CanActivate":true,"Subject":"Postmark event test","Content":"..."}`
const bounce = { ...JSON.parse(bounceRaw), MessageStream: "outbound" }

const client = { Client: { Name: "Chrome 35.0.1916.153", Company: "Google", Family: "Chrome" }, Platform: "WebMail" }
const geo = { Geo: { CountryISOCode: "RS", Country: "Serbia", City: "Novi Sad", Coords: "45.2517,19.8369", IP: "188.2.95.4" } }
const chrome = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_7_5) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/35.0.1916.153 Safari/537.36"

const open = {
  RecordType: "Open", MessageStream: "outbound", FirstOpen: true, ...client, UserAgent: chrome, ReadSeconds: 5, ...geo,
  MessageID: "883953f4-6105-42a2-a16a-77a8eac79483", ReceivedAt: "2019-11-05T16:33:54.9070259Z", Tag: "welcome-email", Recipient: "john@example.com"
}
const click = {
  RecordType: "Click", MessageStream: "outbound", ClickLocation: "HTML", ...client, UserAgent: chrome, OriginalLink: "https://example.com/pricing",
  ...geo, MessageID: "883953f4-6105-42a2-a16a-77a8eac79483", ReceivedAt: "2019-11-05T16:34:10.0000000Z", Tag: "welcome-email",
  Recipient: "john@example.com", Metadata: metadata
}
const subscriptionChange = {
  RecordType: "SubscriptionChange", MessageID: "883953f4-6105-42a2-a16a-77a8eac79483", ServerID: 123456, MessageStream: "outbound",
  ChangedAt: "2020-02-01T10:53:34.416071Z", Recipient: "john@example.com", Origin: "Recipient", SuppressSending: true,
  SuppressionReason: "ManualSuppression", Tag: "my-tag", Metadata: metadata
}
const spamComplaint = {
  ...bounce, RecordType: "SpamComplaint", ID: 42, Type: "SpamComplaint", TypeCode: 100001, Name: "Spam complaint",
  Email: "john@example.com", Details: "Test spam complaint details", Description: "", BouncedAt: "2019-11-05T16:33:54.9070259Z"
}

const decodeAll = (value: unknown) => decode(request(bytes(JSON.stringify(value))), "org-1")
const decodeOne = (value: unknown) => decodeAll(value).pipe(Effect.map((events) => events[0]))
const rejected = (value: unknown) => Effect.flip(decodeAll(value))

describe("Postmark payloads", () => {
  it.effect("a delivery maps every field, keyed by message, record type, recipient and time", () =>
    Effect.gen(function* () {
      expect(yield* decodeAll(delivery)).toEqual([{
        orgId: "org-1",
        provider: "postmark",
        providerEventId: "883953f4-6105-42a2-a16a-77a8eac79483:Delivery:john@example.com:2019-11-05T16:33:54.907Z",
        providerEventName: "Delivery",
        providerMessageId: "883953f4-6105-42a2-a16a-77a8eac79483",
        recipient: "john@example.com",
        channel: "email",
        type: "delivered",
        occurredAt: DateTime.unsafeMake("2019-11-05T16:33:54.907Z"),
        broadcastId: "b-1",
        contactId: "c-1",
        senderAccountId: "s-1",
        details: { category: "marketing" }
      }])
    })
  )

  it.effect("the realistic hard bounce is bounced hard, keyed by its ID, at its offset time", () =>
    Effect.gen(function* () {
      const events = yield* decode(request(bytes(bounceRaw)), "org-1")
      expect(events).toEqual([{
        orgId: "org-1",
        provider: "postmark",
        providerEventId: "901542550",
        providerEventName: "Bounce",
        providerMessageId: "2706ee8a-737c-4285-b032-ccd317af53ed",
        recipient: "bounce@example.com",
        channel: "email",
        type: "bounced",
        occurredAt: DateTime.unsafeMake("2016-04-27T20:28:50.396Z"),
        details: {
          bounceKind: "hard",
          reason: "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
          enhancedStatus: "5.1.1",
          errorCode: "HardBounce"
        }
      }])
    })
  )

  it.effect("every bounce TypeCode has its documented outcome", () =>
    Effect.gen(function* () {
      const expected: Record<string, string> = {
        HardBounce: "bounced", BadEmailAddress: "bounced",
        Transient: "soft_bounced", DnsError: "soft_bounced", SoftBounce: "soft_bounced", SpamNotification: "soft_bounced",
        OpenRelayTest: "soft_bounced", Unknown: "soft_bounced", VirusNotification: "soft_bounced", Blocked: "soft_bounced",
        DMARCPolicy: "soft_bounced",
        SpamComplaint: "complained", Unsubscribe: "unsubscribed",
        ManuallyDeactivated: "failed", Unconfirmed: "failed", SMTPApiError: "failed", TemplateRenderingFailed: "failed",
        Subscribe: "skip", AutoResponder: "skip", AddressChange: "skip", ChallengeVerification: "skip", InboundError: "skip"
      }
      expect(bounceTypes.map(([name]) => name).sort()).toEqual(Object.keys(expected).sort())
      for (const [name, code] of bounceTypes) {
        const events = yield* decodeAll({ ...bounce, Type: name, TypeCode: code })
        expect([name, events[0]?.type ?? "skip"]).toEqual([name, expected[name]])
        if (events[0]?.type === "bounced") expect(events[0].details.bounceKind).toBe("hard")
        if (events[0]?.type === "soft_bounced") expect(events[0].details.bounceKind).toBe("soft")
        if (events[0] !== undefined) expect(events[0].details.errorCode).toBe(name)
      }
    })
  )

  it.effect("a bounce is classified by Type when TypeCode is absent; unknown codes are soft; neither is rejected", () =>
    Effect.gen(function* () {
      const { TypeCode: _, ...byName } = bounce
      expect(yield* decodeOne({ ...byName, Type: "BadEmailAddress" })).toMatchObject({ type: "bounced", details: { bounceKind: "hard" } })
      expect(yield* decodeOne({ ...bounce, Type: "Mystery", TypeCode: 999 })).toMatchObject({
        type: "soft_bounced",
        details: { bounceKind: "soft", errorCode: "Mystery" }
      })
      expect(yield* decodeOne({ ...bounce, Type: null, TypeCode: 999 })).toMatchObject({ type: "soft_bounced", details: { errorCode: "999" } })
      const error = yield* rejected({ ...byName, Type: null })
      expect(error).toMatchObject({ _tag: "PayloadRejected", path: "TypeCode" })
    })
  )

  it.effect("a bounce without SMTP details falls back to the description as the reason", () =>
    Effect.gen(function* () {
      const event = yield* decodeOne({ ...bounce, Type: "DnsError", TypeCode: 256, Details: "", Description: "DNS lookup failed" })
      expect(event?.details).toEqual({ bounceKind: "soft", reason: "DNS lookup failed", errorCode: "DnsError" })
    })
  )

  it.effect("a spam complaint record is complained, keyed by its ID", () =>
    Effect.gen(function* () {
      expect(yield* decodeOne(spamComplaint)).toMatchObject({
        type: "complained",
        providerEventId: "42",
        providerEventName: "SpamComplaint",
        recipient: "john@example.com",
        occurredAt: DateTime.unsafeMake("2019-11-05T16:33:54.907Z"),
        details: { reason: "Test spam complaint details", errorCode: "SpamComplaint" }
      })
    })
  )

  it.effect("an open carries the IP and user agent, with proxies flagged as machines", () =>
    Effect.gen(function* () {
      const person = yield* decodeOne(open)
      expect(person).toMatchObject({
        type: "opened",
        providerEventId: "883953f4-6105-42a2-a16a-77a8eac79483:Open:john@example.com:2019-11-05T16:33:54.907Z",
        details: { ip: "188.2.95.4", userAgent: chrome, machine: false }
      })
      expect((yield* decodeOne({ ...open, UserAgent: "Mozilla/5.0" }))?.details.machine).toBe(true)
      expect((yield* decodeOne({ ...open, Geo: null, UserAgent: null }))?.details).toEqual({ machine: false })
    })
  )

  it.effect("a click carries the original link", () =>
    Effect.gen(function* () {
      expect(yield* decodeOne(click)).toMatchObject({
        type: "clicked",
        contactId: "c-1",
        occurredAt: DateTime.unsafeMake("2019-11-05T16:34:10Z"),
        details: { url: "https://example.com/pricing", ip: "188.2.95.4", userAgent: chrome, machine: false, category: "marketing" }
      })
    })
  )

  it.effect("a subscription change that suppresses sending is an unsubscribe; a reactivation is skipped", () =>
    Effect.gen(function* () {
      expect(yield* decodeOne(subscriptionChange)).toMatchObject({
        type: "unsubscribed",
        providerEventName: "SubscriptionChange",
        occurredAt: DateTime.unsafeMake("2020-02-01T10:53:34.416Z"),
        details: { reason: "ManualSuppression (origin: Recipient)", category: "marketing" }
      })
      expect(yield* decodeAll({ ...subscriptionChange, SuppressSending: false })).toEqual([])
    })
  )

  it.effect("suppressions caused by a hard bounce or a complaint are skipped: their own records report them", () =>
    Effect.gen(function* () {
      expect(yield* decodeAll({ ...subscriptionChange, SuppressionReason: "HardBounce" })).toEqual([])
      expect(yield* decodeAll({ ...subscriptionChange, SuppressionReason: "SpamComplaint" })).toEqual([])
    })
  )

  it.effect("retries share a key; the same record at another time or for another recipient does not", () =>
    Effect.gen(function* () {
      const key = (value: unknown) => decodeOne(value).pipe(Effect.map((event) => event?.providerEventId))
      expect(yield* key(open)).toBe(yield* key({ ...open }))
      expect(yield* key(open)).not.toBe(yield* key({ ...open, ReceivedAt: "2019-11-05T16:40:00Z" }))
      expect(yield* key(delivery)).not.toBe(yield* key({ ...delivery, Recipient: "jane@example.com" }))
      expect(yield* key({ ...delivery, ID: 7 })).toBe("7")
    })
  )

  it.effect("inbound messages have no RecordType and are rejected; unknown record types are skipped", () =>
    Effect.gen(function* () {
      const inbound = yield* rejected({ FromFull: { Email: "a@example.com" }, MessageID: "x" })
      expect(inbound).toMatchObject({ path: "RecordType" })
      expect(inbound.message).toContain("inbound")
      expect(yield* decodeAll({ ...delivery, RecordType: "Teleport" })).toEqual([])
    })
  )

  it.effect("a missing or unusable field the mapping needs is named", () =>
    Effect.gen(function* () {
      const { MessageID: _, ...noMessage } = delivery
      expect(yield* rejected(noMessage)).toMatchObject({ path: "MessageID" })
      expect(yield* rejected({ ...delivery, MessageID: " " })).toMatchObject({ path: "MessageID" })
      expect(yield* rejected({ ...delivery, Recipient: null })).toMatchObject({ path: "Recipient" })
      expect(yield* rejected({ ...bounce, Email: "" })).toMatchObject({ path: "Recipient" })
      expect(yield* rejected({ ...delivery, DeliveredAt: "2019-11-05T16:33:54" })).toMatchObject({ path: "DeliveredAt" })
      expect(yield* rejected({ ...open, ReceivedAt: 1573000000 })).toMatchObject({ path: "ReceivedAt" })
      expect(yield* rejected({ ...subscriptionChange, SuppressSending: "yes" })).toMatchObject({ path: "SuppressSending" })
      expect(yield* rejected([delivery])).toMatchObject({ path: "" })
    })
  )

  it.prop("any JSON value either decodes or is rejected as a PayloadRejected, never a defect", [fc.jsonValue()], ([value]) => {
    const exit = Effect.runSyncExit(decodeAll(value))
    if (Exit.isFailure(exit)) expect(Cause.failureOption(exit.cause).pipe(Option.getOrUndefined)).toBeInstanceOf(PayloadRejected)
  })

  it.prop("any bytes either decode or are rejected as a PayloadRejected, never a defect", [fc.uint8Array()], ([raw]) => {
    const exit = Effect.runSyncExit(decode(request(raw), "org-1"))
    if (Exit.isFailure(exit)) expect(Cause.failureOption(exit.cause).pipe(Option.getOrUndefined)).toBeInstanceOf(PayloadRejected)
  })

  it.prop(
    "any record of a known type with arbitrary fields decodes or is rejected, never a defect",
    [fc.constantFrom(delivery, bounce, open, click, subscriptionChange, spamComplaint), fc.dictionary(fc.string(), fc.jsonValue())],
    ([record, extra]) => {
      const exit = Effect.runSyncExit(decodeAll({ ...record, ...extra, RecordType: record.RecordType }))
      if (Exit.isFailure(exit)) expect(Cause.failureOption(exit.cause).pipe(Option.getOrUndefined)).toBeInstanceOf(PayloadRejected)
    }
  )
})
