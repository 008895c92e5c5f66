import { expect, layer } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import type { Category, Channel } from "../../src/domain/Event.js"
import type { Suppression } from "../../src/domain/Records.js"
import type { NewSuppression } from "../../src/storage/SuppressionRepository.js"
import { SuppressionRepository } from "../../src/storage/SuppressionRepository.js"
import { sqlBackends } from "../support/databases.js"

const backends = [
  ...sqlBackends.map((b) => ({ name: b.name, layer: SuppressionRepository.Default.pipe(Layer.provide(b.layer)) }))
]

const suppression = (orgId: string, overrides: Partial<NewSuppression> = {}): NewSuppression => ({
  orgId,
  channel: "email",
  address: "ada@example.com",
  category: null,
  reason: "bounce",
  source: "test",
  metadata: {},
  ...overrides
})

const blocked = (orgId: string, addresses: ReadonlyArray<string>, category?: Category, channel: Channel = "email") =>
  Effect.flatMap(SuppressionRepository, (repo) => repo.check(orgId, channel, addresses, category)).pipe(
    Effect.map((found) => [...found.keys()].sort())
  )

for (const backend of backends) {
  layer(backend.layer)(`SuppressionRepository (${backend.name})`, (it) => {
    it.effect("a second suppression of the same address keeps the first reason", () =>
      Effect.gen(function* () {
        const repo = yield* SuppressionRepository
        expect(yield* repo.add(suppression("org-first", { metadata: { code: "5.1.1" } }))).toBe(true)
        expect(yield* repo.add(suppression("org-first", { address: "ADA@example.com ", reason: "complaint" }))).toBe(false)
        const page = yield* repo.list("org-first", { limit: 10 })
        expect(page.items.map((s) => [s.address, s.reason, s.category, s.metadata])).toEqual([
          ["ada@example.com", "bounce", null, { code: "5.1.1" }]
        ])
        expect(page.nextCursor).toBeNull()
      }))

    it.effect("check answers for a whole list at once, keyed by normalized address", () =>
      Effect.gen(function* () {
        const repo = yield* SuppressionRepository
        yield* repo.add(suppression("org-check", { address: "a@example.com" }))
        yield* repo.add(suppression("org-check", { address: "b@example.com", reason: "complaint" }))
        yield* repo.add(suppression("org-check", { address: "c@example.com", channel: "sms" }))
        const found = yield* repo.check("org-check", "email", ["A@Example.com", "c@example.com", "d@example.com", "a@example.com"])
        expect([...found.keys()]).toEqual(["a@example.com"])
        expect(found.get("a@example.com")?.reason).toBe("bounce")
        expect(yield* blocked("org-check", [])).toEqual([])
        expect(yield* blocked("org-check-2", ["a@example.com"])).toEqual([])
      }))

    it.effect("a whole-channel suppression blocks every category", () =>
      Effect.gen(function* () {
        const repo = yield* SuppressionRepository
        yield* repo.add(suppression("org-whole", { reason: "complaint" }))
        for (const category of [undefined, "transactional", "marketing", "security"] as const) {
          expect(yield* blocked("org-whole", ["ada@example.com"], category)).toEqual(["ada@example.com"])
        }
      }))

    it.effect("a category suppression blocks only that category", () =>
      Effect.gen(function* () {
        const repo = yield* SuppressionRepository
        yield* repo.add(suppression("org-scoped", { category: "marketing", reason: "unsubscribe" }))
        expect(yield* blocked("org-scoped", ["ada@example.com"], "marketing")).toEqual(["ada@example.com"])
        expect(yield* blocked("org-scoped", ["ada@example.com"], "transactional")).toEqual([])
        expect(yield* blocked("org-scoped", ["ada@example.com"])).toEqual([])
        const found = yield* repo.check("org-scoped", "email", ["ada@example.com"], "marketing")
        expect(found.get("ada@example.com")?.category).toBe("marketing")
      }))

    it.effect("security mail passes unsubscribes and category scopes but not bounces, complaints or admin blocks", () =>
      Effect.gen(function* () {
        const repo = yield* SuppressionRepository
        yield* repo.add(suppression("org-security", { address: "unsub@example.com", reason: "unsubscribe" }))
        yield* repo.add(suppression("org-security", { address: "scoped@example.com", category: "security", reason: "admin" }))
        yield* repo.add(suppression("org-security", { address: "bounce@example.com", reason: "bounce" }))
        yield* repo.add(suppression("org-security", { address: "complaint@example.com", reason: "complaint" }))
        yield* repo.add(suppression("org-security", { address: "admin@example.com", reason: "admin" }))
        yield* repo.add(suppression("org-security", { address: "invalid@example.com", reason: "invalid" }))
        const all = ["unsub", "scoped", "bounce", "complaint", "admin", "invalid"].map((name) => `${name}@example.com`)
        expect(yield* blocked("org-security", all, "security")).toEqual(
          ["admin@example.com", "bounce@example.com", "complaint@example.com", "invalid@example.com"]
        )
        expect(yield* blocked("org-security", all, "marketing")).toHaveLength(5)
      }))

    it.effect("list pages through every suppression once, in a stable order, with filters", () =>
      Effect.gen(function* () {
        const repo = yield* SuppressionRepository
        const channels = ["email", "sms", "push"] as const
        for (let i = 0; i < 11; i++) {
          const channel = channels[i % 3]!
          yield* repo.add(suppression("org-pages", {
            channel,
            address: `${String(i).padStart(2, "0")}@example.com`,
            category: i % 4 === 0 ? "marketing" : null,
            reason: i % 2 === 0 ? "bounce" : "unsubscribe"
          }))
        }
        yield* repo.add(suppression("org-pages", { channel: "sms", address: "00@example.com" }))
        const everything = (yield* repo.list("org-pages", { limit: 100 })).items
        expect(everything).toHaveLength(12)
        const pageAll = (options: { readonly channel?: Channel; readonly reason?: Suppression["reason"] }) =>
          Effect.gen(function* () {
            const seen: Array<Suppression> = []
            let after: string | undefined
            let pages = 0
            do {
              const page = yield* repo.list("org-pages", { ...options, after, limit: 3 })
              expect(page.items.length).toBeLessThanOrEqual(3)
              seen.push(...page.items)
              after = page.nextCursor ?? undefined
              pages++
            } while (after !== undefined && pages < 20)
            return seen
          })
        expect(yield* pageAll({})).toEqual(everything)
        const sms = yield* pageAll({ channel: "sms" })
        expect(sms).toEqual(everything.filter((s) => s.channel === "sms"))
        expect(sms).toHaveLength(5)
        const unsubscribes = yield* pageAll({ reason: "unsubscribe" })
        expect(unsubscribes).toEqual(everything.filter((s) => s.reason === "unsubscribe"))
        expect(unsubscribes).toHaveLength(5)
        expect((yield* repo.list("org-pages", { limit: 6 })).nextCursor).not.toBeNull()
        expect((yield* repo.list("org-pages", { limit: 12 })).nextCursor).toBeNull()
      }))

    it.effect("list refuses a cursor it did not issue", () =>
      Effect.gen(function* () {
        const repo = yield* SuppressionRepository
        for (const after of ["not a cursor", Buffer.from(JSON.stringify(["yesterday", "email", "a", ""])).toString("base64url")]) {
          const error = yield* Effect.flip(repo.list("org-cursor", { after, limit: 10 }))
          expect(error._tag).toBe("InvalidCursor")
        }
      }))

    it.effect("remove lifts every suppression of the address on that channel and counts them", () =>
      Effect.gen(function* () {
        const repo = yield* SuppressionRepository
        yield* repo.add(suppression("org-remove"))
        yield* repo.add(suppression("org-remove", { category: "marketing", reason: "unsubscribe" }))
        yield* repo.add(suppression("org-remove", { channel: "sms", address: "ada@example.com" }))
        expect(yield* repo.remove("org-remove", "email", "Ada@Example.com")).toBe(2)
        expect(yield* repo.remove("org-remove", "email", "ada@example.com")).toBe(0)
        expect(yield* blocked("org-remove", ["ada@example.com"], "marketing")).toEqual([])
        expect(yield* blocked("org-remove", ["ada@example.com"], undefined, "sms")).toEqual(["ada@example.com"])
        expect(yield* repo.add(suppression("org-remove", { reason: "admin" }))).toBe(true)
      }))

    it.effect("find answers the one suppression with exactly that channel, address and category", () =>
      Effect.gen(function* () {
        const repo = yield* SuppressionRepository
        yield* repo.add(suppression("org-find", { metadata: { note: "whole channel" } }))
        yield* repo.add(suppression("org-find", { category: "security", reason: "admin" }))
        const whole = yield* repo.find("org-find", "email", "ADA@example.com", null)
        expect(Option.map(whole, (s) => [s.reason, s.category, s.metadata])).toEqual(Option.some(["bounce", null, { note: "whole channel" }]))
        const scoped = yield* repo.find("org-find", "email", "ada@example.com", "security")
        expect(Option.map(scoped, (s) => [s.reason, s.category])).toEqual(Option.some(["admin", "security"]))
        expect(yield* repo.find("org-find", "email", "ada@example.com", "marketing")).toEqual(Option.none())
        expect(yield* repo.find("org-find", "sms", "ada@example.com", null)).toEqual(Option.none())
        expect(yield* repo.find("org-find-2", "email", "ada@example.com", null)).toEqual(Option.none())
      }))
  })
}
