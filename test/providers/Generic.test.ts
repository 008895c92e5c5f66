import { describe, expect, it } from "@effect/vitest"
import { Cause, DateTime, Effect, Exit, FastCheck as fc, Option, Redacted } from "effect"
import { EventType } from "../../src/domain/Event.js"
import { decode, PayloadRejected, SignatureRejected, sign, verify } from "../../src/providers/Generic.js"

const bytes = (text: string) => new TextEncoder().encode(text)
const body = (value: unknown) => bytes(JSON.stringify(value))
const secret = Redacted.make("s3cret")

const event = (overrides: Record<string, unknown> = {}) => ({
  id: "evt_1",
  type: "delivered",
  timestamp: "2026-01-01T12:00:00Z",
  messageId: "msg_1",
  recipient: "ada@example.com",
  ...overrides
})

const decodeOne = (value: unknown) => decode(body(value), "org-1").pipe(Effect.map((events) => events[0]))
const rejected = (value: unknown) => Effect.flip(decode(body(value), "org-1"))
const checkWith = (key: Redacted.Redacted<string> | undefined, header: string | undefined, raw: Uint8Array) =>
  Effect.flip(verify(key, header, raw)).pipe(Effect.map((error) => error.check))
const signatureCheck = (header: string | undefined, raw: Uint8Array) => checkWith(secret, header, raw)

/** The worked example in docs/webhooks.md. */
const docsBody = '{"id":"evt_1","type":"delivered","timestamp":"2026-01-01T12:00:00Z","messageId":"msg_1","recipient":"ada@example.com"}'
const docsSignature = "13b1d8a643e2f9679a718ef95e863aaa01b6cb194c262bd45b5178cdbef22c4e"

describe("generic webhook signatures", () => {
  it("the worked example in the webhook document is what sign computes", () => {
    expect(sign("s3cret", docsBody)).toBe(docsSignature)
    expect(sign("s3cret", bytes(docsBody))).toBe(docsSignature)
  })

  it.effect("a correctly signed body verifies, with or without sha256= and in either hex case", () =>
    Effect.gen(function* () {
      const raw = bytes(docsBody)
      for (const header of [docsSignature, `sha256=${docsSignature}`, docsSignature.toUpperCase(), ` sha256=${docsSignature} `]) {
        yield* verify(secret, header, raw)
      }
    })
  )

  it.effect("a body changed by one byte fails with signature-mismatch", () =>
    Effect.gen(function* () {
      const raw = bytes(docsBody)
      raw[10] = (raw[10] ?? 0) ^ 1
      expect(yield* signatureCheck(docsSignature, raw)).toBe("signature-mismatch")
    })
  )

  it.effect("a signature made with another secret fails with signature-mismatch", () =>
    Effect.gen(function* () {
      expect(yield* signatureCheck(sign("other", docsBody), bytes(docsBody))).toBe("signature-mismatch")
    })
  )

  it.effect("a missing or blank header is rejected as missing-signature", () =>
    Effect.gen(function* () {
      expect(yield* signatureCheck(undefined, bytes(docsBody))).toBe("missing-signature")
      expect(yield* signatureCheck("  ", bytes(docsBody))).toBe("missing-signature")
    })
  )

  it.effect("a header that is not 64 hex digits is rejected as malformed-signature without throwing", () =>
    Effect.gen(function* () {
      for (const header of ["z".repeat(64), docsSignature.slice(1), `${docsSignature}00`, "sha256=", `sha1=${docsSignature}`, "t=1,v1=abc"]) {
        expect(yield* signatureCheck(header, bytes(docsBody))).toBe("malformed-signature")
      }
    })
  )

  it.effect("without a configured secret nothing verifies: missing-secret", () =>
    Effect.gen(function* () {
      expect(yield* checkWith(undefined, docsSignature, bytes(docsBody))).toBe("missing-secret")
      expect(yield* checkWith(Redacted.make(""), docsSignature, bytes(docsBody))).toBe("missing-secret")
    })
  )

  it.prop("any header either verifies or is rejected as a SignatureRejected, never a defect", [fc.string(), fc.uint8Array()], ([header, raw]) => {
    const exit = Effect.runSyncExit(verify(secret, header, raw))
    if (Exit.isFailure(exit)) expect(Cause.failureOption(exit.cause).pipe(Option.getOrUndefined)).toBeInstanceOf(SignatureRejected)
  })
})

describe("generic webhook payloads", () => {
  it.effect("a single object and an array both decode", () =>
    Effect.gen(function* () {
      const single = yield* decode(body(event()), "org-1")
      const batch = yield* decode(body([event(), event({ id: "evt_2", type: "opened" })]), "org-1")
      expect(single).toHaveLength(1)
      expect(batch.map((e) => [e.providerEventId, e.type])).toEqual([["evt_1", "delivered"], ["evt_2", "opened"]])
    })
  )

  it.effect("every field maps onto the normalized event, absent ones stay absent", () =>
    Effect.gen(function* () {
      const full = yield* decodeOne(event({
        recipient: " Ada@Example.COM ",
        broadcastId: "b-1",
        contactId: "c-1",
        senderAccountId: "s-1",
        data: { ip: "192.0.2.1", userAgent: "Mail/1.0", url: "https://example.com/a", reason: "ok", machine: true, category: "marketing" }
      }))
      expect(full).toEqual({
        orgId: "org-1",
        provider: "generic",
        providerEventId: "evt_1",
        providerEventName: "delivered",
        providerMessageId: "msg_1",
        recipient: "ada@example.com",
        channel: "email",
        type: "delivered",
        occurredAt: DateTime.unsafeMake("2026-01-01T12:00:00Z"),
        broadcastId: "b-1",
        contactId: "c-1",
        senderAccountId: "s-1",
        details: { ip: "192.0.2.1", userAgent: "Mail/1.0", url: "https://example.com/a", reason: "ok", machine: true, category: "marketing" }
      })
      const bare = yield* decodeOne(event({ broadcastId: null, data: null }))
      expect(Object.keys(bare ?? {}).sort()).toEqual(
        ["channel", "details", "occurredAt", "orgId", "provider", "providerEventId", "providerEventName", "providerMessageId", "recipient", "type"]
      )
      expect(bare?.details).toEqual({})
    })
  )

  it.effect("every event type maps to itself", () =>
    Effect.gen(function* () {
      const events = yield* decode(body(EventType.literals.map((type, i) => event({ id: `evt_${i}`, type }))), "org-1")
      expect(events.map((e) => e.type)).toEqual(EventType.literals)
      expect(events.map((e) => e.providerEventName)).toEqual(EventType.literals)
    })
  )

  it.effect("a soft_bounced event is of soft kind and a bounce without a kind is left hard by default", () =>
    Effect.gen(function* () {
      expect((yield* decodeOne(event({ type: "soft_bounced" })))?.details).toEqual({ bounceKind: "soft" })
      expect((yield* decodeOne(event({ type: "bounced" })))?.details).toEqual({})
      expect((yield* decodeOne(event({ type: "bounced", data: { bounceKind: "soft" } })))?.details).toEqual({ bounceKind: "soft" })
    })
  )

  it.effect("non-email recipients are kept as sent and the channel defaults to email", () =>
    Effect.gen(function* () {
      expect(yield* decodeOne(event({ channel: "sms", recipient: " +15551234567 " }))).toMatchObject({ channel: "sms", recipient: "+15551234567" })
      expect(yield* decodeOne(event({ channel: null }))).toMatchObject({ channel: "email" })
    })
  )

  it.effect("timestamps are ISO-8601 date-times with a zone or integer epoch milliseconds", () =>
    Effect.gen(function* () {
      const noon = DateTime.unsafeMake("2026-01-01T12:00:00Z")
      for (const timestamp of ["2026-01-01T12:00:00Z", "2026-01-01T12:00Z", "2026-01-01T14:00:00+02:00", "2026-01-01t12:00:00.000z", 1767268800000]) {
        expect((yield* decodeOne(event({ timestamp })))?.occurredAt).toEqual(noon)
      }
      expect((yield* decodeOne(event({ timestamp: "2026-01-01T12:00:00.123456-00:30" })))?.occurredAt).toEqual(
        DateTime.unsafeMake("2026-01-01T12:30:00.123Z")
      )
    })
  )

  it.effect("timestamps without a zone, impossible dates, epoch seconds and non-integers are rejected", () =>
    Effect.gen(function* () {
      for (const timestamp of ["2026-01-01T12:00:00", "2026-02-30T12:00:00Z", "2026-01-01", "yesterday", 1767268800.5, 946684799999, true]) {
        expect(yield* rejected(event({ timestamp }))).toMatchObject({ _tag: "PayloadRejected", path: "timestamp" })
      }
      expect((yield* rejected(event({ timestamp: 1767268800 }))).message).toContain("epoch seconds")
    })
  )

  it.effect("a numeric errorCode becomes a string", () =>
    Effect.gen(function* () {
      const failed = yield* decodeOne(event({ type: "failed", channel: "sms", recipient: "+15551234567", data: { errorCode: 21610 } }))
      expect(failed?.details.errorCode).toBe("21610")
      expect((yield* decodeOne(event({ data: { errorCode: "30003" } })))?.details.errorCode).toBe("30003")
    })
  )

  it.effect("unknown fields are tolerated at the top level and in data", () =>
    Effect.gen(function* () {
      const decoded = yield* decodeOne(event({ extra: { nested: [1, 2] }, data: { reason: "r", vendor: "x" } }))
      expect(decoded?.details).toEqual({ reason: "r" })
    })
  )

  it.effect("a bad type in the third event is reported at [2].type with the expected values", () =>
    Effect.gen(function* () {
      const error = yield* rejected([event(), event({ id: "evt_2" }), event({ id: "evt_3", type: "read" })])
      expect(error.path).toBe("[2].type")
      expect(error.message).toContain("[2].type")
      expect(error.message).toContain("queued")
      expect(error.message).toContain(`"read"`)
    })
  )

  it.effect("a missing recipient is named", () =>
    Effect.gen(function* () {
      const { recipient: _, ...withoutRecipient } = event()
      const error = yield* rejected(withoutRecipient)
      expect(error).toMatchObject({ path: "recipient" })
      expect(error.message).toContain("recipient is missing")
      expect(yield* rejected(event({ recipient: "  " }))).toMatchObject({ path: "recipient" })
    })
  )

  it.effect("nested failures name the full path", () =>
    Effect.gen(function* () {
      expect(yield* rejected([event(), event({ data: { machine: "yes" } })])).toMatchObject({ path: "[1].data.machine" })
      expect(yield* rejected([event(), 4])).toMatchObject({ path: "[1]" })
      expect(yield* rejected(event({ data: [] }))).toMatchObject({ path: "data" })
    })
  )

  it.effect("a body that is not JSON, or not UTF-8, is rejected at the root", () =>
    Effect.gen(function* () {
      for (const raw of [bytes("{nope"), bytes(""), new Uint8Array([0x5b, 0xff, 0x5d])]) {
        const error = yield* Effect.flip(decode(raw, "org-1"))
        expect(error).toMatchObject({ _tag: "PayloadRejected", path: "" })
        expect(error.message).toContain("not JSON")
      }
    })
  )

  it.effect("an empty array, a scalar and more than 10,000 events are rejected", () =>
    Effect.gen(function* () {
      expect((yield* rejected([])).message).toContain("no events")
      expect(yield* rejected(42)).toMatchObject({ path: "" })
      const tooMany = yield* Effect.flip(decode(bytes(`[${"0,".repeat(10_000)}0]`), "org-1"))
      expect(tooMany.message).toContain("too many events")
    })
  )

  it.prop("any JSON value either decodes or is rejected as a PayloadRejected, never a defect", [fc.jsonValue()], ([value]) => {
    const exit = Effect.runSyncExit(decode(body(value), "org-1"))
    if (Exit.isFailure(exit)) expect(Cause.failureOption(exit.cause).pipe(Option.getOrUndefined)).toBeInstanceOf(PayloadRejected)
  })

  it.prop("any bytes either decode or are rejected as a PayloadRejected, never a defect", [fc.uint8Array()], ([raw]) => {
    const exit = Effect.runSyncExit(decode(raw, "org-1"))
    if (Exit.isFailure(exit)) expect(Cause.failureOption(exit.cause).pipe(Option.getOrUndefined)).toBeInstanceOf(PayloadRejected)
  })

  it.prop(
    "every well-formed event decodes to its id, type, channel and instant",
    [fc.record({
      id: fc.string({ minLength: 1 }).filter((s) => s.trim() === s && s !== ""),
      type: fc.constantFrom(...EventType.literals),
      channel: fc.constantFrom("email", "sms", "whatsapp", "push"),
      millis: fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }),
      iso: fc.boolean()
    })],
    ([r]) => {
      const timestamp = r.iso ? new Date(r.millis).toISOString() : r.millis
      const events = Effect.runSync(decode(body(event({ id: r.id, type: r.type, channel: r.channel, timestamp })), "org-1"))
      expect(events.map((e) => [e.providerEventId, e.type, e.channel, DateTime.toEpochMillis(e.occurredAt)])).toEqual(
        [[r.id, r.type, r.channel, r.millis]]
      )
    }
  )
})
