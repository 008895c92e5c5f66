import { describe, expect, it } from "@effect/vitest"
import { DateTime } from "effect"
import { contactExclusion } from "../../src/broadcasts/RetryLists.js"
import type { Contact } from "../../src/domain/Records.js"

const at = DateTime.unsafeMake("2026-04-01T00:00:00Z")
const contact = (overrides: Partial<Contact> = {}): Contact => ({
  id: "c-1", orgId: "org-1", email: "ada@example.com", phone: null, whatsapp: null, telegram: null, inApp: null, bouncedChannels: [], optedOut: [],
  pushTokens: [], createdAt: at, updatedAt: at, ...overrides
})
const email = { channel: "email" as const, recipient: "ada@example.com", contactId: null }
const push = { channel: "push" as const, recipient: "tok-1", contactId: null }

describe("who a retry list leaves out", () => {
  it("an opt-out of the channel or of the broadcast's category leaves the contact out; another category's does not", () => {
    expect(contactExclusion(contact({ optedOut: ["email"] }), email, "marketing")).toBe("optedOut")
    expect(contactExclusion(contact({ optedOut: ["email:marketing"] }), email, "marketing")).toBe("optedOut")
    expect(contactExclusion(contact({ optedOut: ["email:marketing", "sms"] }), email, "transactional")).toBeNull()
  })

  it("security mail ignores opt-outs but not a bounced address", () => {
    expect(contactExclusion(contact({ optedOut: ["email"] }), email, "security")).toBeNull()
    expect(contactExclusion(contact({ bouncedChannels: ["email"] }), email, "security")).toBe("bounced")
  })

  it("for push the token decides, not the contact's other devices", () => {
    const tokens = [{ token: "tok-1", provider: "fcm", active: false }, { token: "tok-2", provider: "fcm", active: true }]
    expect(contactExclusion(contact({ pushTokens: tokens }), push, "marketing")).toBe("inactiveToken")
    expect(contactExclusion(contact({ pushTokens: tokens }), { ...push, recipient: "tok-2" }, "marketing")).toBeNull()
    expect(contactExclusion(contact({ pushTokens: tokens, bouncedChannels: ["push"] }), { ...push, recipient: "tok-2" }, "marketing")).toBeNull()
    expect(contactExclusion(contact({ optedOut: ["push"] }), push, "marketing")).toBe("optedOut")
  })
})
