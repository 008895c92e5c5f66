import { describe, expect, it } from "@effect/vitest"
import { generateKeyPairSync, sign } from "node:crypto"
import { Cause, ConfigProvider, DateTime, Duration, Effect, Either, Exit, FastCheck as fc, Option, Schema } from "effect"
import type { NormalizedEvent } from "../../src/domain/Event.js"
import { clockSkew, decode, envSecrets, provider, replayWindow, Secrets, signatureHeader, timestampHeader, verify } from "../../src/providers/SendGrid.js"
import { trackedEvents } from "../../src/providers/SendGridEvents.js"
import type { WebhookRequest } from "../../src/providers/Webhook.js"
import { PayloadRejected, SignatureRejected } from "../../src/providers/Webhook.js"

const bytes = (text: string) => new TextEncoder().encode(text)
const at = (seconds: number) => DateTime.unsafeMake(seconds * 1000)

const requestOf = (rawBody: Uint8Array | string, headers: Record<string, string | undefined>, receivedAt: DateTime.Utc): WebhookRequest => ({
  rawBody: typeof rawBody === "string" ? bytes(rawBody) : rawBody,
  headers,
  url: "https://track.example.com/connect/webhook/sendgrid",
  receivedAt
})

const checkOf = (publicKey: string | undefined, request: WebhookRequest) =>
  Effect.flip(verify(publicKey === undefined ? undefined : { publicKey }, request)).pipe(Effect.map((error) => error.check))

/** SG-1, PROVIDERS.md 1.6 (sendgrid-nodejs and sendgrid-python eventwebhook specs). */
const sg1 = {
  publicKey: "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g==",
  signature: "MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM=",
  timestamp: "1600112502",
  payload:
    `[{"email":"hello@world.com","event":"dropped","reason":"Bounced Address","sg_event_id":"ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA","sg_message_id":"LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0","smtp-id":"<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>","timestamp":1600112492}]\r\n`
}

/** The earlier vector of sendgrid-go helpers/eventwebhook/eventwebhook_test.go (and sendgrid-nodejs before SG-1). */
const sg0 = {
  publicKey: "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==",
  signature: "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=",
  timestamp: "1588788367",
  payload: `{"category":"example_payload","event":"test_event","message_id":"message_id"}`
}

const sg1Request = (changes: { payload?: string; signature?: string; timestamp?: string; receivedAt?: DateTime.Utc } = {}) =>
  requestOf(
    changes.payload ?? sg1.payload,
    { [signatureHeader]: changes.signature ?? sg1.signature, [timestampHeader]: changes.timestamp ?? sg1.timestamp },
    changes.receivedAt ?? at(1600112505)
  )

const ours = generateKeyPairSync("ec", { namedCurve: "prime256v1" })
const ourKey = ours.publicKey.export({ format: "der", type: "spki" }).toString("base64")

/** A batch signed as SendGrid signs it, with the CRLF framing of real posts. */
const signed = (events: ReadonlyArray<unknown>, timestamp = 1767268800, receivedAt = at(timestamp)) => {
  const payload = `[${events.map((event) => JSON.stringify(event)).join(",\r\n")}]\r\n`
  const signature = sign("sha256", Buffer.concat([Buffer.from(String(timestamp)), Buffer.from(payload)]), { key: ours.privateKey, dsaEncoding: "der" })
  return requestOf(payload, { [signatureHeader]: signature.toString("base64"), [timestampHeader]: String(timestamp) }, receivedAt)
}

describe("SendGrid signatures", () => {
  it.effect("the SG-1 vector verifies over its exact bytes, trailing CRLF included", () =>
    Effect.gen(function* () {
      yield* verify({ publicKey: sg1.publicKey }, sg1Request())
      yield* provider.verify({ publicKey: ` ${sg1.publicKey}\n` }, sg1Request())
    })
  )

  it.effect("the earlier official vector of sendgrid-go verifies too", () =>
    verify({ publicKey: sg0.publicKey }, requestOf(sg0.payload, { [signatureHeader]: sg0.signature, [timestampHeader]: sg0.timestamp }, at(1588788367)))
  )

  it.effect("every negative case of SG-1 is rejected", () =>
    Effect.gen(function* () {
      const wrongKey = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqTxd43gyp8IOEto2LdIfjRQrIbsd4SXZkLW6jDutdhXSJCWHw8REntlo7aNDthvj+y7GjUuFDb/R1NGe1OPzpA=="
      expect(yield* checkOf(wrongKey, sg1Request())).toBe("signature-mismatch")
      expect(yield* checkOf(sg1.publicKey, sg1Request({ payload: "payload" }))).toBe("signature-mismatch")
      const otherSignature = "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH3j/0="
      expect(yield* checkOf(sg1.publicKey, sg1Request({ signature: otherSignature }))).toBe("signature-mismatch")
      expect(yield* checkOf(sg1.publicKey, sg1Request({ timestamp: "timestamp" }))).toBe("malformed-timestamp")
      expect(yield* checkOf(sg1.publicKey, sg1Request({ payload: sg1.payload.slice(0, -2) }))).toBe("signature-mismatch")
    })
  )

  it.effect("a body changed by one byte, or another timestamp under the same signature, fails with signature-mismatch", () =>
    Effect.gen(function* () {
      const raw = bytes(sg1.payload)
      raw[12] = (raw[12] ?? 0) ^ 1
      expect(yield* checkOf(sg1.publicKey, requestOf(raw, sg1Request().headers, at(1600112505)))).toBe("signature-mismatch")
      expect(yield* checkOf(sg1.publicKey, sg1Request({ timestamp: "1600112503" }))).toBe("signature-mismatch")
    })
  )

  it.effect("a timestamp up to 73 hours old (SendGrid retries for 72) or 10 minutes ahead verifies; beyond either is out of the window", () =>
    Effect.gen(function* () {
      const window = Duration.toSeconds(replayWindow)
      const ahead = Duration.toSeconds(clockSkew)
      expect([window, ahead]).toEqual([73 * 3600, 600])
      yield* verify({ publicKey: sg1.publicKey }, sg1Request({ receivedAt: at(1600112502 + window) }))
      yield* verify({ publicKey: sg1.publicKey }, sg1Request({ receivedAt: at(1600112502 - ahead) }))
      expect(yield* checkOf(sg1.publicKey, sg1Request({ receivedAt: at(1600112502 + window + 1) }))).toBe("timestamp-out-of-window")
      expect(yield* checkOf(sg1.publicKey, sg1Request({ receivedAt: at(1600112502 - ahead - 1) }))).toBe("timestamp-out-of-window")
    })
  )

  it.effect("missing, blank or malformed headers are named", () =>
    Effect.gen(function* () {
      const { publicKey } = sg1
      expect(yield* checkOf(publicKey, requestOf(sg1.payload, { [timestampHeader]: sg1.timestamp }, at(1600112505)))).toBe("missing-signature")
      expect(yield* checkOf(publicKey, sg1Request({ signature: " " }))).toBe("missing-signature")
      const noTimestamp = yield* Effect.flip(verify({ publicKey }, requestOf(sg1.payload, { [signatureHeader]: sg1.signature }, at(1600112505))))
      expect(noTimestamp).toMatchObject({ check: "missing-timestamp" })
      expect(noTimestamp.message).toContain(timestampHeader)
      for (const signature of ["not base64!", "MEUCIGH", "=MEU", sg1.signature.replaceAll("+", "-")]) {
        expect(yield* checkOf(publicKey, sg1Request({ signature }))).toBe("malformed-signature")
      }
      for (const timestamp of ["-1600112502", "1600112502.5", "1e9", "1600112502000000"]) {
        expect(yield* checkOf(publicKey, sg1Request({ timestamp }))).toBe("malformed-timestamp")
      }
    })
  )

  it.effect("a well-formed signature that is not an ECDSA signature is a mismatch, not a defect", () =>
    Effect.gen(function* () {
      for (const signature of ["AAAA", Buffer.alloc(64, 7).toString("base64"), Buffer.from("garbage").toString("base64")]) {
        expect(yield* checkOf(sg1.publicKey, sg1Request({ signature }))).toBe("signature-mismatch")
      }
    })
  )

  it.effect("without a public key nothing verifies, and the message names the environment variable", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(verify(undefined, sg1Request()))
      expect(error).toMatchObject({ _tag: "SignatureRejected", check: "missing-secret" })
      expect(error.message).toContain("SENDGRID_WEBHOOK_PUBLIC_KEY")
      expect(error.message).toContain("publicKey")
    })
  )

  it.effect("a public key that is not a base64 P-256 key is rejected as invalid-public-key without throwing", () =>
    Effect.gen(function* () {
      const ed25519 = generateKeyPairSync("ed25519").publicKey.export({ format: "der", type: "spki" }).toString("base64")
      const p384 = generateKeyPairSync("ec", { namedCurve: "secp384r1" }).publicKey.export({ format: "der", type: "spki" }).toString("base64")
      for (const publicKey of ["", "not a key", "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE", ed25519, p384, `-----BEGIN PUBLIC KEY-----\n${sg1.publicKey}`]) {
        expect(yield* checkOf(publicKey, sg1Request())).toBe("invalid-public-key")
      }
    })
  )

  it.effect("a batch signed with our own key verifies, also when retried hours later, but not four days later", () =>
    Effect.gen(function* () {
      const request = signed([{ email: "a@example.com", event: "delivered" }])
      yield* verify({ publicKey: ourKey }, request)
      yield* verify({ publicKey: ourKey }, { ...request, receivedAt: at(1767268800 + 30 * 3600) })
      expect(yield* checkOf(ourKey, { ...request, receivedAt: at(1767268800 + 4 * 86400) })).toBe("timestamp-out-of-window")
      expect(yield* checkOf(sg1.publicKey, request)).toBe("signature-mismatch")
    })
  )

  it.prop("any headers and body end in success or SignatureRejected, never a defect", [fc.string(), fc.string(), fc.uint8Array()], ([signature, timestamp, raw]) => {
    const exit = Effect.runSyncExit(verify({ publicKey: sg1.publicKey }, requestOf(raw, { [signatureHeader]: signature, [timestampHeader]: timestamp }, at(1600112505))))
    if (Exit.isFailure(exit)) expect(Cause.failureOption(exit.cause).pipe(Option.getOrUndefined)).toBeInstanceOf(SignatureRejected)
  })
})

describe("SendGrid secrets", () => {
  const fromEnv = (value: string | undefined) =>
    envSecrets.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(value === undefined ? [] : [["SENDGRID_WEBHOOK_PUBLIC_KEY", value]]))))

  it.effect("the environment variable yields the key, none when unset or blank, and stops start-up when it is not a key", () =>
    Effect.gen(function* () {
      expect(yield* fromEnv(sg1.publicKey)).toEqual(Option.some({ publicKey: sg1.publicKey }))
      expect(yield* fromEnv(`  ${sg1.publicKey}  `)).toEqual(Option.some({ publicKey: sg1.publicKey }))
      expect(yield* fromEnv(undefined)).toEqual(Option.none())
      expect(yield* fromEnv("  ")).toEqual(Option.none())
      expect((yield* Effect.flip(fromEnv("MFkw"))).message).toContain("Verification Key")
    })
  )

  it("a connection's publicKey must be a P-256 key and is stored trimmed", () => {
    expect(Schema.decodeUnknownEither(Secrets)({ publicKey: ` ${sg1.publicKey} ` })).toEqual(Either.right({ publicKey: sg1.publicKey }))
    expect(Either.isLeft(Schema.decodeUnknownEither(Secrets)({ publicKey: "MFkw" }))).toBe(true)
    expect(Either.isLeft(Schema.decodeUnknownEither(Secrets)({}))).toBe(true)
  })
})

const base = {
  email: "Ada@Example.com",
  timestamp: 1767268800,
  "smtp-id": "<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>",
  sg_message_id: "LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0"
}
const event = (name: string, id: string, fields: Record<string, unknown> = {}) => ({ ...base, event: name, sg_event_id: id, ...fields })

const decodeAll = (events: ReadonlyArray<unknown>) => decode(signed(events), "org-1")
const decodeOne = (value: unknown) =>
  Effect.flatMap(decodeAll([value]), (events) => Effect.fromNullable(events[0]).pipe(Effect.orDie))
const rejected = (events: ReadonlyArray<unknown>) => Effect.flip(decodeAll(events))

describe("SendGrid events", () => {
  it.effect("the SG-1 dropped event decodes to failed with its ids, recipient, instant and reason", () =>
    Effect.gen(function* () {
      const events = yield* decode(sg1Request(), "org-1")
      expect(events).toEqual([{
        orgId: "org-1",
        provider: "sendgrid",
        providerEventId: "ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA",
        providerEventName: "dropped",
        providerMessageId: "LRzXl_NHStOGhQ4kofSm_A",
        recipient: "hello@world.com",
        channel: "email",
        type: "failed",
        occurredAt: at(1600112492),
        details: { reason: "Bounced Address" }
      } satisfies NormalizedEvent])
    })
  )

  it.effect("processed and delivered are sent and delivered, keyed by sg_event_id and the X-Message-Id part of sg_message_id", () =>
    Effect.gen(function* () {
      const events = yield* decodeAll([
        event("processed", "cHJvY2Vzc2VkLTIwOTAwNjQ1", { send_at: 0, pool: { name: "new_MY_test", id: 210 } }),
        event("delivered", "ZGVsaXZlcmVkLTAtMjA5MDA2NDU", { ip: "149.72.91.245", response: "250 2.0.0 OK  1649348549 gsmtp", tls: 1, timestamp: 1767268805 })
      ])
      expect(events.map((e) => [e.type, e.providerEventName, e.providerEventId, e.providerMessageId, e.recipient])).toEqual([
        ["sent", "processed", "cHJvY2Vzc2VkLTIwOTAwNjQ1", "LRzXl_NHStOGhQ4kofSm_A", "ada@example.com"],
        ["delivered", "delivered", "ZGVsaXZlcmVkLTAtMjA5MDA2NDU", "LRzXl_NHStOGhQ4kofSm_A", "ada@example.com"]
      ])
      expect(events[1]?.occurredAt).toEqual(at(1767268805))
      expect(events.map((e) => e.details)).toEqual([{}, {}])
    })
  )

  it.effect("an open is flagged machine when SendGrid says Apple MPP or the user agent is a proxy", () =>
    Effect.gen(function* () {
      const human = yield* decodeOne(event("open", "b3Blbi0x", { sg_machine_open: false, ip: "203.0.113.9", useragent: "Mozilla/5.0 (Windows NT 10.0) Outlook/16.0" }))
      expect(human.type).toBe("opened")
      expect(human.details).toEqual({ ip: "203.0.113.9", userAgent: "Mozilla/5.0 (Windows NT 10.0) Outlook/16.0", machine: false })
      expect((yield* decodeOne(event("open", "b3Blbi0y", { sg_machine_open: true, ip: "17.58.0.1", useragent: "Mozilla/5.0" }))).details.machine).toBe(true)
      const gmail = yield* decodeOne(event("open", "b3Blbi0z", { useragent: "Mozilla/5.0 (via ggpht.com GoogleImageProxy)" }))
      expect(gmail.details).toEqual({ userAgent: "Mozilla/5.0 (via ggpht.com GoogleImageProxy)", machine: true })
    })
  )

  it.effect("a click carries its url, ip and user agent", () =>
    Effect.gen(function* () {
      const click = yield* decodeOne(event("click", "Y2xpY2stMQ", {
        url: "https://example.com/pricing", url_offset: { index: 0, type: "html" }, ip: "198.51.100.4", useragent: "Mozilla/5.0 (Macintosh) Safari/605.1.15"
      }))
      expect(click.type).toBe("clicked")
      expect(click.details).toEqual({ url: "https://example.com/pricing", ip: "198.51.100.4", userAgent: "Mozilla/5.0 (Macintosh) Safari/605.1.15", machine: false })
      expect((yield* decodeOne(event("click", "Y2xpY2stMg", { url: "https://example.com", useragent: "Mimecast URL protect" }))).details.machine).toBe(true)
    })
  )

  it.effect("the docs' bounce examples: type bounce is a hard bounce, type blocked a soft one, with reason and enhanced status", () =>
    Effect.gen(function* () {
      const docs = { email: "example@test.com", timestamp: 1513299569, "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>", category: "cat facts", sg_event_id: "6g4ZI7SA-xmRDv57GoPIPw==", sg_message_id: "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0", reason: "500 unknown recipient", status: "5.0.0" }
      const hard = yield* decodeOne({ ...docs, event: "bounce", type: "bounce" })
      expect(hard).toMatchObject({ type: "bounced", providerEventName: "bounce", providerMessageId: "14c5d75ce93", recipient: "example@test.com", occurredAt: at(1513299569) })
      expect(hard.details).toEqual({ bounceKind: "hard", reason: "500 unknown recipient", enhancedStatus: "5.0.0" })
      const blocked = yield* decodeOne({ ...docs, event: "bounce", type: "blocked" })
      expect(blocked.type).toBe("soft_bounced")
      expect(blocked.details).toEqual({ bounceKind: "soft", reason: "500 unknown recipient", enhancedStatus: "5.0.0" })
    })
  )

  it.effect("a bounce without type is hard, and without status the enhanced code is read from the reason", () =>
    Effect.gen(function* () {
      const bounce = yield* decodeOne(event("bounce", "Ym91bmNlLTAtMTU1ODQ2MzU", {
        ip: "167.89.12.138", reason: "550 5.1.1 The email account that you tried to reach does not exist. hh22si9906882ejb.375 - gsmtp"
      }))
      expect(bounce.details).toMatchObject({ bounceKind: "hard", enhancedStatus: "5.1.1" })
      expect(bounce.details.ip).toBeUndefined()
      const discourse = yield* decodeOne({
        bounce_classification: "Unclassified", email: "noemail@this.does.not.exist.tld", event: "bounce", reason: "unable to get mx info: failed to get IPs from PTR record: lookup <nil>: unrecognized address",
        sg_event_id: "Ym91bmNlLTQtNTA0ODUxOTUtZXVvMmlLeGRTYXlQRjRZRTQtLUk3QS0w", sg_message_id: "euo2iKxdSayPF4YE4--I7A.recvd-5f54b5d587-pczjm-1-67BADEEA-6.0",
        "smtp-id": "<euo2iKxdSayPF4YE4--I7A@geopod-ismtpd-1>", timestamp: 1740300320, tls: 0, type: "blocked"
      })
      expect(discourse).toMatchObject({ type: "soft_bounced", providerMessageId: "euo2iKxdSayPF4YE4--I7A" })
      expect(discourse.details.enhancedStatus).toBeUndefined()
      expect((yield* decodeOne(event("bounce", "Ym91bmNlLTI", { reason: "421 from 10.2.5.1 later", status: "" }))).details.enhancedStatus).toBeUndefined()
    })
  )

  it.effect("an asynchronous bounce without sg_message_id is correlated through the smtp-id", () =>
    Effect.gen(function* () {
      const { sg_message_id: _, ...withoutMessageId } = event("bounce", "YXN5bmMtYm91bmNl", { reason: "550 5.2.1 mailbox disabled", status: "5.2.1" })
      expect((yield* decodeOne(withoutMessageId)).providerMessageId).toBe("LRzXl_NHStOGhQ4kofSm_A")
      expect((yield* decodeOne({ ...withoutMessageId, sg_message_id: null, "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>" })).providerMessageId).toBe("14c5d75ce93")
    })
  )

  it.effect("a deferral is deferred with the server's response as the reason", () =>
    Effect.gen(function* () {
      const deferred = yield* decodeOne(event("deferred", "t7LEShmowp86DTdUW8M-GQ==", { response: "451 4.7.1 try again later", attempt: "5" }))
      expect(deferred.type).toBe("deferred")
      expect(deferred.details).toEqual({ reason: "451 4.7.1 try again later", enhancedStatus: "4.7.1" })
    })
  )

  it.effect("spam reports, unsubscribes and group unsubscribes map to complained and unsubscribed", () =>
    Effect.gen(function* () {
      const events = yield* decodeAll([
        event("spamreport", "c3BhbQ"),
        event("unsubscribe", "dW5zdWI"),
        event("group_unsubscribe", "ahSCB7xYcXFb-hEaawsPRw==", {
          useragent: "Mozilla/4.0 (compatible; MSIE 6.1; Windows XP)", ip: "255.255.255.255", url: "http://www.sendgrid.com/", asm_group_id: 10
        })
      ])
      expect(events.map((e) => [e.type, e.providerEventName])).toEqual([
        ["complained", "spamreport"],
        ["unsubscribed", "unsubscribe"],
        ["unsubscribed", "group_unsubscribe"]
      ])
      expect(events[2]?.details).toEqual({ ip: "255.255.255.255", userAgent: "Mozilla/4.0 (compatible; MSIE 6.1; Windows XP)" })
    })
  )

  it.effect("group resubscribes and event types we do not know are skipped; the rest of the batch decodes", () =>
    Effect.gen(function* () {
      const events = yield* decodeAll([
        event("group_resubscribe", "cmVzdWI", { asm_group_id: 10 }),
        { event: "account_status_change", sg_event_id: "YWNjdA", timestamp: 1767268800, type: "compliance_suspend" },
        event("delivered", "ZGVs")
      ])
      expect(events.map((e) => e.providerEventId)).toEqual(["ZGVs"])
      expect(yield* decodeAll([])).toEqual([])
    })
  )

  it.effect("broadcastId, contactId and senderAccountId custom args are copied; category and other args are not", () =>
    Effect.gen(function* () {
      const withArgs = yield* decodeOne(event("delivered", "ZGVsaXZlcmVk", { broadcastId: "b-1", contactId: "c-1", senderAccountId: 42, userid: "1123", category: ["newsletter", "marketing"] }))
      expect(withArgs).toMatchObject({ broadcastId: "b-1", contactId: "c-1", senderAccountId: "42" })
      expect(withArgs.details).toEqual({})
      const without = yield* decodeOne(event("delivered", "ZGVsaXZlcmVkLTI", { broadcastId: null }))
      expect(Object.keys(without)).not.toContain("broadcastId")
    })
  )

  it.effect("a missing field the mapping needs is named with its index in the batch", () =>
    Effect.gen(function* () {
      const { sg_event_id: _, ...noId } = event("open", "x")
      expect(yield* rejected([event("delivered", "ok"), noId])).toMatchObject({ _tag: "PayloadRejected", path: "[1].sg_event_id" })
      const { email: __, ...noEmail } = event("open", "x")
      expect(yield* rejected([noEmail])).toMatchObject({ path: "[0].email" })
      const { sg_message_id: ___, "smtp-id": ____, ...noMessage } = event("bounce", "x")
      const unnamed = yield* rejected([event("delivered", "ok"), event("delivered", "ok2"), noMessage])
      expect(unnamed.path).toBe("[2].sg_message_id")
      expect(unnamed.message).toContain("smtp-id")
      expect(yield* rejected([event("delivered", "ok", { timestamp: "1767268800" })])).toMatchObject({ path: "[0].timestamp" })
      expect(yield* rejected([event("bounce", "ok", { type: "expired" })])).toMatchObject({ path: "[0].type" })
      expect(yield* rejected([event("delivered", " ")])).toMatchObject({ path: "[0].sg_event_id" })
      expect(yield* rejected([{ ...base, sg_event_id: "x" }])).toMatchObject({ path: "[0].event" })
      expect(yield* rejected([7])).toMatchObject({ path: "[0]" })
    })
  )

  it.effect("a body that is not a JSON array is rejected at the root", () =>
    Effect.gen(function* () {
      for (const raw of ["{nope", `{"event":"delivered"}`, "42", ""]) {
        expect(yield* Effect.flip(decode(requestOf(raw, {}, at(0)), "org-1"))).toMatchObject({ _tag: "PayloadRejected", path: "" })
      }
    })
  )

  const decodeExit = (raw: Uint8Array) => Effect.runSyncExit(decode(requestOf(raw, {}, at(0)), "org-1"))
  const neverDefect = (exit: Exit.Exit<unknown, unknown>) => {
    if (Exit.isFailure(exit)) expect(Cause.failureOption(exit.cause).pipe(Option.getOrUndefined)).toBeInstanceOf(PayloadRejected)
  }

  it.prop("any bytes end in events or PayloadRejected, never a defect", [fc.uint8Array()], ([raw]) => neverDefect(decodeExit(raw)))

  it.prop("any JSON value ends in events or PayloadRejected, never a defect", [fc.jsonValue()], ([value]) =>
    neverDefect(decodeExit(bytes(JSON.stringify(value) ?? "null"))))

  const anything = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.jsonValue())
  const eventLike = fc.record({
    event: fc.oneof(fc.constantFrom(...trackedEvents, "group_resubscribe", "other"), anything),
    email: fc.oneof(fc.emailAddress(), anything),
    timestamp: fc.oneof(fc.integer({ min: 0, max: 4_000_000_000 }), anything),
    sg_event_id: fc.oneof(fc.string(), anything),
    sg_message_id: fc.oneof(fc.string(), anything),
    "smtp-id": fc.oneof(fc.string(), anything),
    type: fc.oneof(fc.constantFrom("bounce", "blocked"), anything),
    status: anything,
    useragent: anything,
    sg_machine_open: anything,
    broadcastId: anything
  }, { requiredKeys: [] })

  it.prop("batches of event-like objects end in events or PayloadRejected, never a defect", [fc.array(eventLike, { maxLength: 5 })], ([events]) =>
    neverDefect(decodeExit(bytes(JSON.stringify(events)))))
})
