import { expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { ActivityRepository } from "../../src/storage/ActivityRepository.js"
import { call, contactsService } from "../support/contactsApi.js"
import { unique } from "../support/providerRoutes.js"

const suppress = (org: string, body: Record<string, unknown>, subject?: string) =>
  call(org, "/suppressions", { json: body, ...(subject === undefined ? {} : { subject }) })

const check = (org: string, body: Record<string, unknown>) => call(org, "/suppressions/check", { json: body })

const lift = (org: string, path: string, body?: unknown) =>
  call(org, `/suppressions/${path}`, { method: "DELETE", ...(body === undefined ? {} : { json: body }) })

const auditLog = (org: string) =>
  Effect.map(Effect.flatMap(ActivityRepository, (repo) => repo.auditLog(org, 20)), (entries) =>
    entries.map((e) => ({ actor: e.actor, action: e.action, subject: e.subject, details: e.details })))

const anyTime = expect.stringMatching(/^\d{4}-\d\d-\d\dT/)

layer(contactsService, { excludeTestServices: true })("the suppression API", (it) => {
  it.effect("a bulk check answers each address as given, emails matched whatever their case, category rules applied", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      expect((yield* suppress(org, { channel: "email", address: "Bounce@Example.com", reason: "bounce" })).status).toBe(201)
      expect((yield* suppress(org, { channel: "email", address: "promo@example.com", reason: "unsubscribe", category: "marketing" })).status).toBe(201)
      expect((yield* suppress(org, { channel: "email", address: "unsub@example.com", reason: "unsubscribe" })).status).toBe(201)
      const addresses = ["BOUNCE@example.com", "promo@example.com", "unsub@example.com", "fresh@example.com"]
      expect(yield* check(org, { channel: "email", addresses })).toEqual({
        status: 200,
        body: {
          allowed: ["promo@example.com", "fresh@example.com"],
          suppressed: [
            { address: "BOUNCE@example.com", reason: "bounce", category: null, createdAt: anyTime },
            { address: "unsub@example.com", reason: "unsubscribe", category: null, createdAt: anyTime }
          ]
        }
      })
      const marketing = yield* check(org, { channel: "email", addresses, category: "marketing" })
      expect(marketing.body).toMatchObject({ allowed: ["fresh@example.com"], suppressed: [{ address: "BOUNCE@example.com" }, { address: "promo@example.com", category: "marketing" }, { address: "unsub@example.com" }] })
      const security = yield* check(org, { channel: "email", addresses, category: "security" })
      expect(security.body).toMatchObject({ allowed: ["promo@example.com", "unsub@example.com", "fresh@example.com"], suppressed: [{ address: "BOUNCE@example.com" }] })
      expect((yield* check(org, { channel: "sms", addresses })).body).toEqual({ allowed: addresses, suppressed: [] })
    }))

  it.effect("a check takes 100,000 addresses in one call and refuses more, or none", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      yield* suppress(org, { channel: "sms", address: "+15550000007", reason: "invalid" })
      const addresses = Array.from({ length: 100_000 }, (_, i) => `+1555${String(i).padStart(7, "0")}`)
      const answer = yield* check(org, { channel: "sms", addresses })
      expect(answer.status).toBe(200)
      const body = answer.body as { allowed: ReadonlyArray<string>; suppressed: ReadonlyArray<{ address: string; reason: string }> }
      expect(body.allowed).toHaveLength(99_999)
      expect(body.suppressed.map((s) => [s.address, s.reason])).toEqual([["+15550000007", "invalid"]])
      expect(yield* check(org, { channel: "sms", addresses: [...addresses, "+15559999999"] })).toMatchObject({
        status: 400, body: { error: "BadRequest", message: "addresses: at most 100000 addresses per call" }
      })
      expect(yield* check(org, { channel: "sms", addresses: [] })).toMatchObject({
        status: 400, body: { error: "BadRequest", message: "addresses: expected at least one address" }
      })
      expect(yield* check(org, { channel: "fax", addresses: ["+15550000007"] })).toMatchObject({ status: 400, body: { error: "BadRequest" } })
    }))

  it.effect("the list pages through the org's suppressions with filters and refuses a cursor it did not issue", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      for (const [channel, address, reason] of [
        ["email", "a@example.com", "bounce"], ["email", "b@example.com", "complaint"], ["sms", "+15550100", "bounce"],
        ["email", "c@example.com", "bounce"], ["push", "token-1", "invalid"]
      ] as const) {
        yield* suppress(org, { channel, address, reason })
      }
      const seen: Array<string> = []
      let path = "/suppressions?limit=2"
      for (let page = 0; page < 5; page++) {
        const answer = yield* call(org, path)
        expect(answer.status).toBe(200)
        const body = answer.body as { items: ReadonlyArray<{ address: string }>; nextCursor: string | null }
        seen.push(...body.items.map((s) => s.address))
        if (body.nextCursor === null) break
        path = `/suppressions?limit=2&cursor=${encodeURIComponent(body.nextCursor)}`
      }
      expect(seen).toEqual(["a@example.com", "b@example.com", "+15550100", "c@example.com", "token-1"])
      const bounces = yield* call(org, "/suppressions?channel=email&reason=bounce")
      expect(bounces.body).toEqual({
        items: ["a@example.com", "c@example.com"].map((address) => ({
          channel: "email", address, category: null, reason: "bounce", source: "api", metadata: { actor: "api" }, createdAt: anyTime
        })),
        nextCursor: null
      })
      expect(yield* call(org, "/suppressions?cursor=bm90LWEtY3Vyc29y")).toEqual({
        status: 400, body: { error: "BadRequest", message: "cursor: not one this listing issued" }
      })
      expect(yield* call(org, "/suppressions?limit=1001")).toMatchObject({ status: 400, body: { error: "BadRequest", message: expect.stringMatching(/^limit: /) } })
      expect(yield* call(org, "/suppressions?reason=spite")).toMatchObject({ status: 400, body: { error: "BadRequest", message: expect.stringMatching(/^reason: /) } })
    }))

  it.effect("an admin addition is audited with the token's subject; adding it again answers 200 and keeps the first reason", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      expect(yield* suppress(org, { channel: "email", address: "Ada@Example.com", note: "asked by phone" }, "admin-1")).toEqual({
        status: 201,
        body: {
          created: true,
          suppression: {
            channel: "email", address: "ada@example.com", category: null, reason: "admin", source: "api",
            metadata: { actor: "admin-1", note: "asked by phone" }, createdAt: anyTime
          }
        }
      })
      expect(yield* suppress(org, { channel: "email", address: "ada@example.com", reason: "complaint" })).toMatchObject({
        status: 200, body: { created: false, suppression: { reason: "admin", metadata: { actor: "admin-1" } } }
      })
      expect(yield* suppress(org, { channel: "sms", address: "+44 20 7946 0958", reason: "invalid", category: "marketing" })).toMatchObject({
        status: 201, body: { created: true, suppression: { address: "+442079460958", category: "marketing", reason: "invalid" } }
      })
      expect(yield* auditLog(org)).toEqual([
        { actor: "api", action: "suppression.added", subject: "sms:+442079460958", details: { reason: "invalid", category: "marketing", note: null } },
        { actor: "admin-1", action: "suppression.added", subject: "email:ada@example.com", details: { reason: "admin", category: null, note: "asked by phone" } }
      ])
    }))

  it.effect("an addition with an address that is not one for its channel, or an unknown reason, is refused with 400", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      expect(yield* suppress(org, { channel: "email", address: "not-an-address" })).toEqual({
        status: 400, body: { error: "BadRequest", message: `address: not an email address: "not-an-address"` }
      })
      expect(yield* suppress(org, { channel: "whatsapp", address: "12345" })).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^address: not a phone number/) } })
      expect(yield* suppress(org, { channel: "push", address: "  " })).toMatchObject({ status: 400, body: { message: "address: a push token cannot be empty" } })
      expect(yield* suppress(org, { channel: "email", address: "ada@example.com", reason: "spite" })).toMatchObject({ status: 400, body: { error: "BadRequest", message: expect.stringMatching(/^reason: /) } })
      expect((yield* call(org, "/suppressions")).body).toEqual({ items: [], nextCursor: null })
    }))

  it.effect("lifting needs a reason, takes URL-encoded addresses, is audited, and answers 404 when nothing was suppressed", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      yield* suppress(org, { channel: "email", address: "ada+news@example.com", reason: "bounce" })
      yield* suppress(org, { channel: "email", address: "ada+news@example.com", reason: "unsubscribe", category: "marketing" })
      yield* suppress(org, { channel: "sms", address: "+15550100", reason: "complaint" })
      const email = `email/${encodeURIComponent("Ada+News@Example.com")}`
      expect(yield* lift(org, email, {})).toMatchObject({ status: 400, body: { error: "BadRequest", message: "reason: is missing" } })
      expect(yield* lift(org, email, { reason: "   " })).toMatchObject({ status: 400, body: { error: "BadRequest", message: "reason: say why the suppression is lifted" } })
      expect(yield* lift(org, email, { reason: "the customer fixed their mailbox" })).toEqual({ status: 200, body: { removed: 2 } })
      expect(yield* lift(org, email, { reason: "again" })).toEqual({
        status: 404, body: { error: "NotFound", message: "Ada+News@Example.com is not suppressed on email" }
      })
      expect(yield* lift(org, `sms/${encodeURIComponent("+15550100")}`, { reason: "ticket 42" })).toEqual({ status: 200, body: { removed: 1 } })
      expect((yield* check(org, { channel: "email", addresses: ["ada+news@example.com"], category: "marketing" })).body).toMatchObject({ suppressed: [] })
      expect((yield* auditLog(org)).filter((e) => e.action === "suppression.lifted")).toEqual([
        { actor: "api", action: "suppression.lifted", subject: "sms:+15550100", details: { reason: "ticket 42", removed: 1 } },
        { actor: "api", action: "suppression.lifted", subject: "email:ada+news@example.com", details: { reason: "the customer fixed their mailbox", removed: 2 } }
      ])
    }))

  it.effect("an org never sees or changes another org's suppressions", () =>
    Effect.gen(function* () {
      const [acme, globex] = [unique("acme-"), unique("globex-")]
      yield* suppress(acme, { channel: "email", address: "ada@example.com", reason: "bounce" })
      expect((yield* check(globex, { channel: "email", addresses: ["ada@example.com"] })).body).toEqual({ allowed: ["ada@example.com"], suppressed: [] })
      expect((yield* call(globex, "/suppressions")).body).toEqual({ items: [], nextCursor: null })
      expect((yield* lift(globex, "email/ada%40example.com", { reason: "mine now" })).status).toBe(404)
      expect(yield* suppress(globex, { channel: "email", address: "ada@example.com" })).toMatchObject({ status: 201, body: { created: true } })
      expect((yield* lift(globex, "email/ada%40example.com", { reason: "undo" })).status).toBe(200)
      expect((yield* check(acme, { channel: "email", addresses: ["ada@example.com"] })).body).toMatchObject({ suppressed: [{ reason: "bounce" }] })
      expect(yield* auditLog(globex)).toHaveLength(2)
      expect(yield* auditLog(acme)).toHaveLength(1)
    }))

  it.effect("every suppression endpoint refuses a missing token with 401 and another org's token with 403", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const requests = [
        ["/suppressions/check", { json: { channel: "email", addresses: ["a@example.com"] } }],
        ["/suppressions", {}],
        ["/suppressions", { json: { channel: "email", address: "a@example.com" } }],
        ["/suppressions/email/a%40example.com", { method: "DELETE", json: { reason: "x" } }]
      ] as const
      for (const [path, request] of requests) {
        expect(yield* call(org, path, { ...request, authorized: false })).toMatchObject({ status: 401, body: { error: "Unauthorized" } })
        expect(yield* call(org, path, { ...request, tokenOrg: "someone-else" })).toMatchObject({ status: 403, body: { error: "Forbidden" } })
      }
      expect((yield* call(org, "/suppressions")).body).toEqual({ items: [], nextCursor: null })
    }))
})
