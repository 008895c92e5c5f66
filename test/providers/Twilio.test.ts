import { describe, expect, it } from "@effect/vitest"
import { Cause, ConfigProvider, DateTime, Effect, Exit, FastCheck as fc, Option, Redacted, Schema } from "effect"
import { NormalizedEvent } from "../../src/domain/Event.js"
import { decode, envSecrets, provider, Secrets, sign, Status, vendor, verify } from "../../src/providers/Twilio.js"
import type { WebhookRequest } from "../../src/providers/Webhook.js"
import { PayloadRejected, SignatureRejected } from "../../src/providers/Webhook.js"

type Params = ReadonlyArray<readonly [string, string]>

const bytes = (text: string) => new TextEncoder().encode(text)
const receivedAt = DateTime.unsafeMake("2026-03-01T10:00:00Z")
const token = "12345"
const secrets: Secrets = { authToken: Redacted.make(token) }
const formType = { "content-type": "application/x-www-form-urlencoded" }
const jsonType = { "content-type": "application/json" }

const form = (params: Params) => new URLSearchParams(params.map(([name, value]): [string, string] => [name, value])).toString()
const entries = (params: Record<string, string | ReadonlyArray<string>>): Params =>
  Object.entries(params).flatMap(([name, value]) => typeof value === "string" ? [[name, value] as const] : value.map((v) => [name, v] as const))

const request = (url: string, body: string, headers: Record<string, string | undefined> = formType): WebhookRequest => ({
  rawBody: bytes(body),
  headers,
  url,
  receivedAt
})
const signedForm = (url: string, params: Params, signature = sign(token, url, params)) =>
  request(url, form(params), { ...formType, "x-twilio-signature": signature })

const checkOf = (req: WebhookRequest, withSecrets: Secrets | undefined = secrets) =>
  Effect.flip(verify(withSecrets, req)).pipe(Effect.map((error) => error.check))

describe("Twilio signature vectors (PROVIDERS.md 6.4)", () => {
  const classicUrl = "https://mycompany.com/myapp.php?foo=1&bar=2"
  const classic = entries({ CallSid: "CA1234567890ABCDE", Caller: "+12349013030", Digits: "1234", From: "+12349013030", To: "+18005551212" })

  it.effect("the classic docs example signs to 0/KCTR6DLpKmkAf8muzZqo1nDgQ= and verifies", () =>
    Effect.gen(function* () {
      expect(sign(token, classicUrl, classic)).toBe("0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
      yield* verify(secrets, signedForm(classicUrl, classic, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="))
    })
  )

  it.effect("TW-2, twilio-node's default request, verifies with RSOYDt4T1cUTdK1PDd93/VVr8B8=", () =>
    Effect.gen(function* () {
      yield* verify(secrets, signedForm(classicUrl, twilioNodeParams, "RSOYDt4T1cUTdK1PDd93/VVr8B8="))
    })
  )

  it.effect("the classic example is rejected with another token, another URL or another parameter", () =>
    Effect.gen(function* () {
      const good = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
      expect(yield* checkOf(signedForm(classicUrl, classic, good), { authToken: Redacted.make("54321") })).toBe("signature-mismatch")
      expect(yield* checkOf(signedForm(`${classicUrl}&somethingUnexpected=true`, classic, good))).toBe("signature-mismatch")
      expect(yield* checkOf(signedForm(classicUrl, [...classic, ["Extra", "1"]], good))).toBe("signature-mismatch")
      expect(yield* checkOf(signedForm(classicUrl, entries({ ...Object.fromEntries(classic), Digits: "1235" }), good))).toBe("signature-mismatch")
    })
  )
})

// twilio-node spec/validation.spec.js (commit 005ea9cdbad2969f1d6c1f5059aa7df509f2d934); the token is 12345.
const twilioNodeParams = entries({ CallSid: "CA1234567890ABCDE", Caller: "+14158675309", Digits: "1234", From: "+14158675309", To: "+18005551212" })
const jsonBody = '{"property": "value", "boolean": true}'
const jsonHash = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
const emptyHash = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"

describe("Twilio signatures: twilio-node's URL and parameter cases", () => {
  const base = "https://mycompany.com/myapp.php?foo=1&bar=2"

  it.effect("a URL is accepted without its port, with the default port added, and with or without credentials", () =>
    Effect.gen(function* () {
      const cases: ReadonlyArray<readonly [string, string]> = [
        ["https://mycompany.com:1234/myapp.php?foo=1&bar=2", "RSOYDt4T1cUTdK1PDd93/VVr8B8="],
        ["http://mycompany.com:1234/myapp.php?foo=1&bar=2", "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="],
        [base, "kvajT1Ptam85bY51eRf/AJRuM3w="],
        ["http://mycompany.com/myapp.php?foo=1&bar=2", "0ZXoZLH/DfblKGATFgpif+LLRf4="],
        ["https://user:pass@mycompany.com/myapp.php?foo=1&bar=2", "CukzLTc1tT5dXEDIHm/tKBanW10="],
        ["https://user@mycompany.com/myapp.php?foo=1&bar=2", "2YRLlVAflCqxaNicjMpJcSTgzSs="],
        ["https://user:pass@mycompany.com/myapp.php?foo=1&bar=2", "ZQFR1PTIZXF2MXB8ZnKCvnnA+rI="],
        ["https://mycompany.com:443/myapp.php?foo=1&bar=2", "RSOYDt4T1cUTdK1PDd93/VVr8B8="]
      ]
      for (const [url, signature] of cases) yield* verify(secrets, signedForm(url, twilioNodeParams, signature))
    })
  )

  it.effect("a query with an apostrophe is signed as given, not as URL re-encodes it", () =>
    Effect.gen(function* () {
      yield* verify(secrets, signedForm(`${base}&Body=It's+amazing`, twilioNodeParams, "dsq4Ehbj6cs+KdTkpF5sSSplOWw="))
    })
  )

  it.effect("a repeated parameter signs each distinct value once, values sorted, whatever their order", () =>
    Effect.gen(function* () {
      const addresses = (values: ReadonlyArray<string>) => entries({ "MessagingBinding.Address": values })
      yield* verify(secrets, signedForm(base, addresses(["+1325xxxxxxx", "+1415xxxxxxx"]), "83O6e2vORAoJHUNzJjDWN1jz+BA="))
      yield* verify(secrets, signedForm(base, addresses(["+1415xxxxxxx", "+1325xxxxxxx"]), "83O6e2vORAoJHUNzJjDWN1jz+BA="))
      const digits = entries({ Sid: "CA123", SidAccount: "AC123", Digits: ["5678", "1234", "1234"] })
      yield* verify(secrets, signedForm(base, digits, "IK+Dwps556ElfBT0I3Rgjkr1wJU="))
    })
  )

  it.effect("a JSON body verifies through bodySHA256: the URL is signed alone and the hash checked", () =>
    Effect.gen(function* () {
      const signedJson = (url: string, body: string, signature: string) => request(url, body, { ...jsonType, "x-twilio-signature": signature })
      yield* verify(secrets, signedJson(`${base}&bodySHA256=${jsonHash}`, jsonBody, "a9nBmqA0ju/hNViExpshrM61xv4="))
      yield* verify(secrets, signedJson(`${base}&bodySHA256=${emptyHash}`, "{}", "Ldidvp12m26NI7eqEvxnEpkd9Hc="))
      yield* verify(secrets, signedJson(`https://mycompany.com/myapp.php?bodySHA256=${jsonHash}`, jsonBody, "y77kIzt2vzLz71DgmJGsen2scGs="))
    })
  )

  it.effect("a JSON body that differs from bodySHA256, or a hash changed in the URL, is rejected", () =>
    Effect.gen(function* () {
      const url = `${base}&bodySHA256=${jsonHash}`
      const tampered = request(url, jsonBody.replace("true", "false"), { ...jsonType, "x-twilio-signature": "a9nBmqA0ju/hNViExpshrM61xv4=" })
      expect(yield* checkOf(tampered)).toBe("body-hash-mismatch")
      const shortened = request(url.slice(0, -1), jsonBody, { ...jsonType, "x-twilio-signature": "a9nBmqA0ju/hNViExpshrM61xv4=" })
      expect(yield* checkOf(shortened)).toBe("signature-mismatch")
    })
  )

  it.effect("a JSON body without bodySHA256 in the URL is rejected as missing-body-hash", () =>
    Effect.gen(function* () {
      const req = request(base, jsonBody, { ...jsonType, "x-twilio-signature": "RSOYDt4T1cUTdK1PDd93/VVr8B8=" })
      expect(yield* checkOf(req)).toBe("missing-body-hash")
    })
  )
})

describe("Twilio signature rejections", () => {
  const url = "https://sendtrail.example.com/connect/webhook/twilio/status"
  const params = entries({ MessageSid: "SM1", MessageStatus: "sent", To: "+15558675310" })

  it.effect("without an auth token nothing verifies, and the message names TWILIO_AUTH_TOKEN", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(verify(undefined, signedForm(url, params)))
      expect(error).toMatchObject({ _tag: "SignatureRejected", check: "missing-secret" })
      expect(error.message).toContain("TWILIO_AUTH_TOKEN")
      expect(yield* checkOf(signedForm(url, params), { authToken: Redacted.make(" ") })).toBe("missing-secret")
    })
  )

  it.effect("a missing or blank X-Twilio-Signature is rejected as missing-signature", () =>
    Effect.gen(function* () {
      expect(yield* checkOf(request(url, form(params)))).toBe("missing-signature")
      expect(yield* checkOf(signedForm(url, params, "  "))).toBe("missing-signature")
    })
  )

  it.effect("a header that is not a 28-character base64 digest is malformed-signature", () =>
    Effect.gen(function* () {
      for (const header of ["WRONG_SIGNATURE", "0/KCTR6DLpKmkAf8muzZqo1nDgQ", "0/KCTR6DLpKmkAf8muzZqo1nDgQ==", "sha1=0/KCTR6DLpKmkAf8muzZqo1nDgQ="]) {
        expect(yield* checkOf(signedForm(url, params, header))).toBe("malformed-signature")
      }
    })
  )

  it.effect("a changed parameter, an added parameter or another callback URL is a signature-mismatch", () =>
    Effect.gen(function* () {
      const signature = sign(token, url, params)
      expect(yield* checkOf(signedForm(url, entries({ MessageSid: "SM1", MessageStatus: "delivered", To: "+15558675310" }), signature)))
        .toBe("signature-mismatch")
      expect(yield* checkOf(signedForm(url, [...params, ["ErrorCode", "30003"]], signature))).toBe("signature-mismatch")
      expect(yield* checkOf(signedForm(`${url}/conn_1`, params, signature))).toBe("signature-mismatch")
      expect(yield* checkOf(signedForm(`${url}?broadcastId=b-2`, params, sign(token, `${url}?broadcastId=b-1`, params)))).toBe("signature-mismatch")
    })
  )

  it.prop(
    "any header, body and URL either verifies or is a SignatureRejected, never a defect",
    [fc.string(), fc.uint8Array(), fc.oneof(fc.webUrl({ withQueryParameters: true }), fc.string()), fc.boolean()],
    ([header, raw, url, json]) => {
      const exit = Effect.runSyncExit(verify(secrets, { rawBody: raw, headers: { "x-twilio-signature": header, ...(json ? jsonType : {}) }, url, receivedAt }))
      if (Exit.isFailure(exit)) expect(Cause.failureOption(exit.cause).pipe(Option.getOrUndefined)).toBeInstanceOf(SignatureRejected)
    }
  )

  it.prop("any signed form verifies at its URL", [fc.webUrl({ withQueryParameters: true }), fc.array(fc.tuple(fc.string(), fc.string()))], ([url, pairs]) => {
    const body = form(pairs)
    const signature = sign(token, url, [...new URLSearchParams(body)])
    Effect.runSync(verify(secrets, request(url, body, { ...formType, "x-twilio-signature": signature })))
  })
})

describe("Twilio secrets", () => {
  const withEnv = (env: ReadonlyArray<readonly [string, string]>) => Effect.withConfigProvider(ConfigProvider.fromMap(new Map(env)))

  it.effect("TWILIO_AUTH_TOKEN becomes the default secrets; unset or blank is none", () =>
    Effect.gen(function* () {
      const set = yield* envSecrets.pipe(withEnv([["TWILIO_AUTH_TOKEN", "abc"]]))
      expect(Option.map(set, (s) => Redacted.value(s.authToken))).toEqual(Option.some("abc"))
      expect(yield* envSecrets.pipe(withEnv([]))).toEqual(Option.none())
      expect(yield* envSecrets.pipe(withEnv([["TWILIO_AUTH_TOKEN", " "]]))).toEqual(Option.none())
    })
  )

  it.effect("a connection's secrets are { authToken } with a non-empty token", () =>
    Effect.gen(function* () {
      const decoded = yield* Schema.decodeUnknown(Secrets)({ authToken: "abc", extra: 1 })
      expect(Redacted.value(decoded.authToken)).toBe("abc")
      expect(Exit.isFailure(yield* Effect.exit(Schema.decodeUnknown(Secrets)({ authToken: "" })))).toBe(true)
      expect(Exit.isFailure(yield* Effect.exit(Schema.decodeUnknown(Secrets)({})))).toBe(true)
    })
  )

  it("the provider record carries the vendor name used in URLs", () => {
    expect(vendor).toBe("twilio")
    expect(provider.vendor).toBe("twilio")
  })
})

const sid = "SM3f2a1c0e9b8d7a6f5e4d3c2b1a098765"
const callbackUrl = "https://sendtrail.example.com/connect/webhook/twilio/status/conn_42"
const correlatedUrl = `${callbackUrl}?broadcastId=b-7&contactId=c-9&senderAccountId=s-3`

/** A status callback as Twilio posts it for an SMS sent through a Messaging Service. */
const smsCallback = (status: string, extra: Record<string, string> = {}): Params => entries({
  ApiVersion: "2010-04-01",
  AccountSid: "ACae7b6d4c1f0e9d8c7b6a5f4e3d2c1b0a",
  From: "+15017122661",
  MessageSid: sid,
  MessageStatus: status,
  MessagingServiceSid: "MG9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b",
  SmsSid: sid,
  SmsStatus: status,
  To: "+15558675310",
  ...extra
})

/** A WhatsApp status callback: prefixed addresses and the channel parameters. */
const whatsappCallback = (status: string, extra: Record<string, string> = {}): Params => entries({
  AccountSid: "ACae7b6d4c1f0e9d8c7b6a5f4e3d2c1b0a",
  ApiVersion: "2010-04-01",
  ChannelInstallSid: "XEcc20d939f803ee381f2442185d0d5dc5",
  ChannelPrefix: "whatsapp",
  ChannelStatusMessage: "",
  ChannelToAddress: "+1555867XXXX",
  From: "whatsapp:+14155238886",
  MessageSid: sid,
  MessageStatus: status,
  SmsSid: sid,
  SmsStatus: status,
  To: "whatsapp:+15558675310",
  ...extra
})

/** Verifies as the route does, then decodes. */
const ingest = (params: Params, url = correlatedUrl) =>
  Effect.gen(function* () {
    const req = signedForm(url, params)
    yield* provider.verify(secrets, req)
    return yield* provider.decode(req, "org-1")
  })
const one = (params: Params, url?: string) => ingest(params, url).pipe(Effect.map((events) => events[0]))
const rejected = (params: Params) => Effect.flip(decode(request(callbackUrl, form(params)), "org-1"))

describe("Twilio status callbacks", () => {
  it.effect("a delivered SMS becomes one delivered event with the callback URL's correlation ids", () =>
    Effect.gen(function* () {
      const events = yield* ingest(smsCallback("delivered", { RawDlrDoneDate: "2603011000" }))
      expect(events).toEqual([{
        orgId: "org-1",
        provider: "twilio",
        providerEventId: `${sid}:delivered`,
        providerEventName: "delivered",
        providerMessageId: sid,
        recipient: "+15558675310",
        channel: "sms",
        type: "delivered",
        occurredAt: receivedAt,
        broadcastId: "b-7",
        contactId: "c-9",
        senderAccountId: "s-3",
        details: {}
      }])
    })
  )

  it.effect("every outbound status maps onto the normalized vocabulary", () =>
    Effect.gen(function* () {
      const expected: ReadonlyArray<readonly [string, string]> = [
        ["accepted", "queued"], ["scheduled", "queued"], ["queued", "queued"], ["sending", "sending"], ["sent", "sent"],
        ["delivered", "delivered"], ["undelivered", "failed"], ["failed", "failed"], ["canceled", "failed"], ["read", "opened"]
      ]
      for (const [status, type] of expected) {
        const event = yield* one(smsCallback(status))
        expect([event?.type, event?.providerEventName, event?.providerEventId]).toEqual([type, status, `${sid}:${status}`])
      }
    })
  )

  it.effect("an undelivered SMS is failed with the ErrorCode and Twilio's ErrorMessage", () =>
    Effect.gen(function* () {
      const event = yield* one(smsCallback("undelivered", { ErrorCode: "30003", ErrorMessage: "Unreachable destination handset" }))
      expect(event).toMatchObject({ type: "failed", channel: "sms", details: { errorCode: "30003", reason: "Unreachable destination handset" } })
    })
  )

  it.effect("a failure without ErrorMessage takes its reason from the known codes, or has none", () =>
    Effect.gen(function* () {
      expect((yield* one(smsCallback("failed", { ErrorCode: "21610" })))?.details).toEqual({
        errorCode: "21610",
        reason: "the recipient replied STOP and is unsubscribed from this sender"
      })
      expect((yield* one(smsCallback("undelivered", { ErrorCode: "30006" })))?.details.reason).toBe("landline or unreachable carrier")
      expect((yield* one(smsCallback("failed", { ErrorCode: "30410" })))?.details).toEqual({ errorCode: "30410" })
      expect((yield* one(smsCallback("canceled")))?.details).toEqual({ reason: "the scheduled message was canceled before it was sent" })
    })
  )

  it.effect("a WhatsApp read is opened on the whatsapp channel, the prefix stripped from the recipient", () =>
    Effect.gen(function* () {
      const event = yield* one(whatsappCallback("read"), callbackUrl)
      expect(event).toEqual({
        orgId: "org-1",
        provider: "twilio",
        providerEventId: `${sid}:read`,
        providerEventName: "read",
        providerMessageId: sid,
        recipient: "+15558675310",
        channel: "whatsapp",
        type: "opened",
        occurredAt: receivedAt,
        details: {}
      })
    })
  )

  it.effect("WhatsApp deliveries and blocks keep the channel; 63014 is reported as an opt-out reason", () =>
    Effect.gen(function* () {
      expect(yield* one(whatsappCallback("delivered"))).toMatchObject({ type: "delivered", channel: "whatsapp", recipient: "+15558675310" })
      expect(yield* one(whatsappCallback("failed", { ErrorCode: "63014" }))).toMatchObject({
        type: "failed",
        channel: "whatsapp",
        details: { errorCode: "63014", reason: "the WhatsApp user blocked the sender or opted out" }
      })
    })
  )

  it.effect("a WhatsApp received receipt is a delivery; an inbound WhatsApp message (with a Body) is skipped", () =>
    Effect.gen(function* () {
      expect(yield* one(whatsappCallback("received"))).toMatchObject({
        type: "delivered", providerEventName: "received", providerEventId: `${sid}:received`, channel: "whatsapp", recipient: "+15558675310"
      })
      expect(yield* ingest(whatsappCallback("received", { Body: "hello", NumMedia: "0" }))).toEqual([])
    })
  )

  it.effect("the whatsapp: prefix alone, or ChannelPrefix alone, selects the whatsapp channel", () =>
    Effect.gen(function* () {
      const prefixOnly = smsCallback("sent", { To: "WhatsApp:+15558675310" })
      expect(yield* one(prefixOnly)).toMatchObject({ channel: "whatsapp", recipient: "+15558675310" })
      expect(yield* one(smsCallback("sent", { ChannelPrefix: "whatsapp" }))).toMatchObject({ channel: "whatsapp", recipient: "+15558675310" })
      expect(yield* one(smsCallback("sent", { ChannelPrefix: "rcs" }))).toMatchObject({ channel: "sms" })
    })
  )

  it.effect("inbound, partially_delivered and untracked-channel callbacks are skipped", () =>
    Effect.gen(function* () {
      for (const status of ["received", "receiving", "partially_delivered"]) expect(yield* ingest(smsCallback(status))).toEqual([])
      expect(yield* ingest(smsCallback("delivered", { ChannelPrefix: "messenger", To: "messenger:1234567890" }))).toEqual([])
    })
  )

  it.effect("SmsSid and SmsStatus stand in when MessageSid and MessageStatus are absent", () =>
    Effect.gen(function* () {
      const legacy = entries({ SmsSid: sid, SmsStatus: "sent", To: "+15558675310", From: "+15017122661", AccountSid: "AC1" })
      expect(yield* one(legacy)).toMatchObject({ providerEventId: `${sid}:sent`, providerMessageId: sid, type: "sent" })
    })
  )

  it.effect("a repeated parameter takes its first non-empty value", () =>
    Effect.gen(function* () {
      const repeated: Params = [["MessageStatus", ""], ["MessageStatus", "sent"], ["MessageStatus", "delivered"], ["MessageSid", sid], ["To", "+15558675310"]]
      expect(yield* one(repeated)).toMatchObject({ type: "sent", providerEventId: `${sid}:sent` })
    })
  )

  it.effect("correlation ids come only from the callback URL's query, blanks ignored", () =>
    Effect.gen(function* () {
      const event = yield* one(smsCallback("sent", { broadcastId: "from-body" }), `${callbackUrl}?broadcastId=+&contactId=c%2F1`)
      expect(event).toMatchObject({ contactId: "c/1" })
      expect(event).not.toHaveProperty("broadcastId")
      expect(event).not.toHaveProperty("senderAccountId")
    })
  )

  it.effect("a missing MessageSid, status or To is named", () =>
    Effect.gen(function* () {
      const without = (name: string) => smsCallback("sent").filter(([key]) => key !== name && key !== name.replace("Message", "Sms"))
      const sidError = yield* rejected(without("MessageSid"))
      expect(sidError).toMatchObject({ _tag: "PayloadRejected", path: "MessageSid" })
      expect(sidError.message).toBe("MessageSid is missing (and so is SmsSid)")
      expect(yield* rejected(without("MessageStatus"))).toMatchObject({ path: "MessageStatus" })
      expect((yield* rejected(without("To"))).message).toContain("To is missing")
      expect(yield* rejected(smsCallback("sent", { To: " whatsapp: " }))).toMatchObject({ path: "To" })
    })
  )

  it.effect("a status outside Twilio's enum is rejected with the values it expected", () =>
    Effect.gen(function* () {
      const error = yield* rejected(smsCallback("bounced"))
      expect(error.path).toBe("MessageStatus")
      expect(error.message).toContain(`got "bounced"`)
      expect(error.message).toContain("undelivered")
    })
  )

  it.effect("a JSON body is rejected: status callbacks are form-encoded", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(decode(request(callbackUrl, '{"MessageSid":"SM1"}', jsonType), "org-1"))
      expect(error).toMatchObject({ _tag: "PayloadRejected", path: "" })
    })
  )

  it.prop("any bytes either decode or are a PayloadRejected, never a defect", [fc.uint8Array(), fc.boolean()], ([raw, json]) => {
    const exit = Effect.runSyncExit(decode({ rawBody: raw, headers: json ? jsonType : formType, url: callbackUrl, receivedAt }, "org-1"))
    if (Exit.isFailure(exit)) expect(Cause.failureOption(exit.cause).pipe(Option.getOrUndefined)).toBeInstanceOf(PayloadRejected)
  })

  it.effect("an error code that names an Object property (valueOf, constructor, __proto__) is a code like any other, with no reason", () =>
    Effect.gen(function* () {
      for (const code of ["valueOf", "constructor", "__proto__", "toString"]) {
        const [event] = yield* decode(request(callbackUrl, form([["MessageSid", "SM1"], ["MessageStatus", "failed"], ["To", "+15550001111"], ["ErrorCode", code]])), "org-1")
        expect(Schema.validateSync(NormalizedEvent)(event!).details).toEqual({ errorCode: code })
      }
    })
  )

  const fieldNames = fc.constantFrom("MessageSid", "SmsSid", "MessageStatus", "SmsStatus", "To", "ErrorCode", "ChannelPrefix", "x")
  const fieldValues = fc.oneof(fc.string(), fc.constantFrom(...Status.literals, "whatsapp:+1", "messenger:1", " "))

  it.prop(
    "any form of Twilio's field names decodes to at most one event or a PayloadRejected",
    [fc.array(fc.tuple(fieldNames, fieldValues)), fc.string()],
    ([pairs, query]) => {
      const exit = Effect.runSyncExit(decode(request(`${callbackUrl}?${query}`, form(pairs)), "org-1"))
      if (Exit.isSuccess(exit)) expect(exit.value.map((event) => Schema.validateSync(NormalizedEvent)(event)).length).toBeLessThanOrEqual(1)
      else expect(Cause.failureOption(exit.cause).pipe(Option.getOrUndefined)).toBeInstanceOf(PayloadRejected)
    }
  )
})
