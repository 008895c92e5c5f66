import { expect, layer } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { ContactRepository } from "../../src/storage/ContactRepository.js"
import * as MemoryContacts from "../support/memory/ContactRepository.js"
import { sqlBackends } from "../support/databases.js"

const backends = [
  { name: "in-memory", layer: MemoryContacts.layer },
  ...sqlBackends.map((b) => ({ name: b.name, layer: ContactRepository.Default.pipe(Layer.provide(b.layer)) }))
]

for (const backend of backends) {
  layer(backend.layer)(`ContactRepository (${backend.name})`, (it) => {
    it.effect("ensure creates one contact per address and finds it again whatever the email's case", () =>
      Effect.gen(function* () {
        const repo = yield* ContactRepository
        const created = yield* repo.ensure({ orgId: "org-ensure", channel: "email", address: "Ada@Example.com", contactId: null })
        const again = yield* repo.ensure({ orgId: "org-ensure", channel: "email", address: " ada@example.COM", contactId: null })
        expect(again.id).toBe(created.id)
        expect(created.email).toBe("ada@example.com")
        expect(created.bouncedChannels).toEqual([])
        const found = yield* repo.findByAddress("org-ensure", "email", "ADA@example.com")
        expect(Option.map(found, (c) => c.id)).toEqual(Option.some(created.id))
        expect(yield* repo.findByAddress("org-ensure-2", "email", "ada@example.com")).toEqual(Option.none())
        const otherOrg = yield* repo.ensure({ orgId: "org-ensure-2", channel: "email", address: "ada@example.com", contactId: null })
        expect(otherOrg.id).not.toBe(created.id)
      }))

    it.effect("each channel's address is stored on its own column and a push address as an active token", () =>
      Effect.gen(function* () {
        const repo = yield* ContactRepository
        const sms = yield* repo.ensure({ orgId: "org-channels", channel: "sms", address: "+15550100", contactId: null })
        const whatsapp = yield* repo.ensure({ orgId: "org-channels", channel: "whatsapp", address: "+15550100", contactId: null })
        const push = yield* repo.ensure({ orgId: "org-channels", channel: "push", address: "tok-1", contactId: null })
        expect([sms.phone, sms.whatsapp]).toEqual(["+15550100", null])
        expect([whatsapp.phone, whatsapp.whatsapp]).toEqual([null, "+15550100"])
        expect(new Set([sms.id, whatsapp.id, push.id]).size).toBe(3)
        expect(push.pushTokens).toEqual([{ token: "tok-1", provider: "unknown", active: true }])
        for (const [channel, contact] of [["sms", sms], ["whatsapp", whatsapp], ["push", push]] as const) {
          const address = channel === "push" ? "tok-1" : "+15550100"
          const found = yield* repo.findByAddress("org-channels", channel, address)
          expect(Option.map(found, (c) => c.id)).toEqual(Option.some(contact.id))
        }
        expect(Option.map(yield* repo.findById(push.id), (c) => c.pushTokens.length)).toEqual(Option.some(1))
        expect(yield* repo.findById("no-such-contact")).toEqual(Option.none())
      }))

    it.effect("ensure returns the given contact when it exists in the org, and ignores one from another org", () =>
      Effect.gen(function* () {
        const repo = yield* ContactRepository
        const known = yield* repo.ensure({ orgId: "org-by-id", channel: "email", address: "bob@example.com", contactId: null })
        const byId = yield* repo.ensure({ orgId: "org-by-id", channel: "sms", address: "+15550199", contactId: known.id })
        expect(byId.id).toBe(known.id)
        const foreign = yield* repo.ensure({ orgId: "org-by-id-2", channel: "sms", address: "+15550199", contactId: known.id })
        expect(foreign.id).not.toBe(known.id)
        expect(foreign.orgId).toBe("org-by-id-2")
        expect(foreign.phone).toBe("+15550199")
      }))

    it.effect("concurrent ensures of one address agree on a single contact", () =>
      Effect.gen(function* () {
        const repo = yield* ContactRepository
        for (const [channel, address] of [["email", "race@example.com"], ["push", "race-token"]] as const) {
          const contacts = yield* Effect.all(
            Array.from({ length: 8 }, () => repo.ensure({ orgId: "org-race", channel, address, contactId: null })),
            { concurrency: "unbounded" }
          )
          expect(new Set(contacts.map((c) => c.id)).size).toBe(1)
        }
        const push = Option.getOrThrow(yield* repo.findByAddress("org-race", "push", "race-token"))
        expect(push.pushTokens).toEqual([{ token: "race-token", provider: "unknown", active: true }])
      }))

    it.effect("markBounced and optOut add each entry once, however often they are called", () =>
      Effect.gen(function* () {
        const repo = yield* ContactRepository
        const contact = yield* repo.ensure({ orgId: "org-sets", channel: "email", address: "carol@example.com", contactId: null })
        yield* repo.markBounced(contact.id, "email")
        yield* repo.markBounced(contact.id, "email")
        yield* repo.markBounced(contact.id, "sms")
        yield* repo.optOut(contact.id, ["email:marketing", "sms", "email:marketing"])
        yield* repo.optOut(contact.id, ["sms", "email"])
        yield* repo.optOut(contact.id, ["email"])
        const saved = Option.getOrThrow(yield* repo.findById(contact.id))
        expect(saved.bouncedChannels).toEqual(["email", "sms"])
        expect(saved.optedOut).toEqual(["email:marketing", "sms", "email"])
      }))

    it.effect("deactivatePushToken marks the token inactive and leaves the contact", () =>
      Effect.gen(function* () {
        const repo = yield* ContactRepository
        const contact = yield* repo.ensure({ orgId: "org-tokens", channel: "push", address: "tok-dead", contactId: null })
        yield* repo.deactivatePushToken("org-tokens", "tok-dead", "unregistered")
        yield* repo.deactivatePushToken("org-tokens", "tok-dead", "unregistered again")
        yield* repo.deactivatePushToken("org-tokens-2", "tok-dead", "wrong org")
        const saved = Option.getOrThrow(yield* repo.findByAddress("org-tokens", "push", "tok-dead"))
        expect(saved.id).toBe(contact.id)
        expect(saved.pushTokens).toEqual([{ token: "tok-dead", provider: "unknown", active: false }])
      }))

    it.effect("createMany creates contacts in order and leaves every address already taken alone", () =>
      Effect.gen(function* () {
        const repo = yield* ContactRepository
        const known = yield* repo.ensure({ orgId: "org-many", channel: "email", address: "known@example.com", contactId: null })
        yield* repo.markBounced(known.id, "email")
        yield* repo.optOut(known.id, ["sms"])
        const row = (email: string | null, phone: string | null = null, attributes: Record<string, unknown> = {}) =>
          ({ email, phone, whatsapp: null, attributes })
        const ids = yield* repo.createMany("org-many", [
          row("New@Example.com", "+15550101", { name: "New", plan: "pro" }),
          row("KNOWN@example.com", null, { name: "Overwrite?" }),
          row("other@example.com", "+15550101"),
          row(null, "+15550102"),
          row("new@example.com")
        ])
        expect(ids.map((id) => id !== null)).toEqual([true, false, false, true, false])
        const created = Option.getOrThrow(yield* repo.findById(ids[0]!))
        expect(created).toMatchObject({ orgId: "org-many", email: "new@example.com", phone: "+15550101", bouncedChannels: [], optedOut: [] })
        expect(yield* repo.attributesOf(ids[0]!)).toEqual(Option.some({ name: "New", plan: "pro" }))
        expect(yield* repo.attributesOf(ids[3]!)).toEqual(Option.some({}))
        expect(yield* repo.attributesOf("no-such-contact")).toEqual(Option.none())
        const kept = Option.getOrThrow(yield* repo.findById(known.id))
        expect([kept.bouncedChannels, kept.optedOut]).toEqual([["email"], ["sms"]])
        expect(yield* repo.attributesOf(known.id)).toEqual(Option.some({}))
        const elsewhere = yield* repo.createMany("org-many-2", [row("known@example.com")])
        expect(elsewhere[0]).not.toBeNull()
        expect(yield* repo.createMany("org-many", [])).toEqual([])
      }))

    it.effect("findByAddresses finds the org's contacts by any of their addresses in one call", () =>
      Effect.gen(function* () {
        const repo = yield* ContactRepository
        const [email, phone, whatsapp] = yield* repo.createMany("org-lookup", [
          { email: "ada@example.com", phone: null, whatsapp: null, attributes: {} },
          { email: null, phone: "+15550111", whatsapp: null, attributes: {} },
          { email: null, phone: null, whatsapp: "+15550111", attributes: {} }
        ])
        yield* repo.createMany("org-lookup-2", [{ email: "bob@example.com", phone: null, whatsapp: null, attributes: {} }])
        const found = yield* repo.findByAddresses("org-lookup", { email: ["ADA@example.com", "bob@example.com"], phone: ["+15550111"], whatsapp: [] })
        expect(found.map((c) => c.id).sort()).toEqual([email, phone].sort())
        const byWhatsapp = yield* repo.findByAddresses("org-lookup", { email: [], phone: [], whatsapp: ["+15550111"] })
        expect(byWhatsapp).toEqual([{ id: whatsapp, email: null, phone: null, whatsapp: "+15550111", telegram: null, inApp: null }])
        expect(yield* repo.findByAddresses("org-lookup", { email: [], phone: [], whatsapp: [] })).toEqual([])
      }))
  })
}
