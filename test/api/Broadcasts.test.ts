import { expect, layer } from "@effect/vitest"
import { DateTime, Effect, Schema } from "effect"
import { SignJWT } from "jose"
import { emptyCounters } from "../../src/domain/Rollup.js"
import { RollupRepository } from "../../src/storage/RollupRepository.js"
import { baseUrl } from "../support/server.js"
import { bodyAs, broadcastsService, call, createBroadcast, idOf, jwtSecret, orgToken } from "../support/broadcasts.js"
import { unique } from "../support/providerRoutes.js"

layer(broadcastsService(), { excludeTestServices: true })("broadcasts: create and read", (it) => {
  it.effect("a broadcast is created with a generated id, email by default, and read back with its counts", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const created = yield* call(org, "POST", "/broadcast", { name: "  Spring sale ", category: "marketing" })
      expect(created.status).toBe(201)
      expect(created.body).toEqual({
        id: expect.stringMatching(/^b_[0-9a-f]{32}$/), orgId: org, name: "Spring sale", category: "marketing",
        channels: ["email"], retryOf: null, createdAt: expect.any(String)
      })
      const id = idOf(created)
      expect(yield* call(org, "GET", `/broadcast/${id}`)).toEqual({
        status: 200,
        body: { ...bodyAs(Schema.Record({ key: Schema.String, value: Schema.Unknown }), created), recipientCount: 0, removedRecipientCount: 0, counters: null }
      })
      const other = idOf(yield* call(org, "POST", "/broadcast", { name: "Reset", category: "security", channels: ["email", "push", "email"] }))
      expect(other).not.toBe(id)
      expect((yield* call(org, "GET", `/broadcast/${other}`)).body).toMatchObject({ category: "security", channels: ["email", "push"] })
    }))

  it.effect("the broadcast's report counters are shown once there are any", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const id = yield* createBroadcast(org)
      yield* (yield* RollupRepository).increment({ orgId: org, broadcastId: id, channel: "email", day: yield* DateTime.now, counters: { delivered: 2, opened: 1 } })
      const reply = yield* call(org, "GET", `/broadcast/${id}`)
      expect(reply.body).toMatchObject({ counters: { ...emptyCounters, delivered: 2, opened: 1 } })
    }))

  it.effect("another org's broadcast is a 404, the same as one that does not exist", () =>
    Effect.gen(function* () {
      const id = yield* createBroadcast(unique("org-"))
      const intruder = unique("org-")
      expect(yield* call(intruder, "GET", `/broadcast/${id}`)).toEqual({ status: 404, body: { error: "NotFound", message: `no broadcast '${id}'` } })
      expect(yield* call(intruder, "GET", "/broadcast/b_nope")).toEqual({ status: 404, body: { error: "NotFound", message: "no broadcast 'b_nope'" } })
    }))

  it.effect("a bad category, an empty name or an unknown channel is a 400 naming the field", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      expect(yield* call(org, "POST", "/broadcast", { name: "x", category: "Spam!" }))
        .toMatchObject({ status: 400, body: { error: "BadRequest", message: expect.stringMatching(/^category: /) } })
      expect(yield* call(org, "POST", "/broadcast", { name: " ", category: "marketing" }))
        .toMatchObject({ status: 400, body: { error: "BadRequest", message: expect.stringMatching(/^name: /) } })
      expect(yield* call(org, "POST", "/broadcast", { name: "x", category: "marketing", channels: ["fax"] }))
        .toMatchObject({ status: 400, body: { error: "BadRequest", message: expect.stringMatching(/^channels\.0: /) } })
      expect(yield* call(org, "POST", "/broadcast", { name: "x", category: "marketing", channels: [] }))
        .toMatchObject({ status: 400, body: { error: "BadRequest", message: "channels: expected at least one channel" } })
    }))

  it.effect("without a token the answer is 401, and with another org's token 403", () =>
    Effect.gen(function* () {
      const base = yield* baseUrl
      const anonymous = yield* Effect.promise(() =>
        fetch(`${base}/broadcast`, { method: "POST", headers: { "content-type": "application/json", orgid: "acme" }, body: JSON.stringify({ name: "x", category: "marketing" }) })
          .then(async (r) => ({ status: r.status, body: await r.json() })))
      expect(anonymous).toMatchObject({ status: 401, body: { error: "Unauthorized" } })
      const token = yield* orgToken("acme")
      const crossed = yield* Effect.promise(() =>
        fetch(`${base}/broadcast/b_x`, { headers: { authorization: `Bearer ${token}`, orgid: "globex" } })
          .then(async (r) => ({ status: r.status, body: await r.json() })))
      expect(crossed).toMatchObject({ status: 403, body: { error: "Forbidden" } })
      const expired = yield* Effect.promise(() =>
        new SignJWT({ org: "acme" }).setProtectedHeader({ alg: "HS256" }).setExpirationTime(Math.floor(Date.now() / 1000) - 60)
          .sign(new TextEncoder().encode(jwtSecret)))
      const late = yield* Effect.promise(() =>
        fetch(`${base}/broadcast/b_x`, { headers: { authorization: `Bearer ${expired}`, orgid: "acme" } }).then((r) => r.status))
      expect(late).toBe(401)
    }))
})
