import { expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { call, contactsService } from "../support/contactsApi.js"
import { unique } from "../support/providerRoutes.js"
import { adminKey } from "../support/signing.js"
import { createBroadcast, providerEvents, register } from "../support/reports.js"

/** `count` sends from the account, registered as sent; the first `bounces` of them bounce hard. */
const sendFrom = (org: string, account: string, count: number, bounces: number) =>
  Effect.gen(function* () {
    const id = yield* createBroadcast(org)
    const rows = Array.from({ length: count }, (_, i) => ({ recipient: `r${i}@${account}`, providerMessageId: `${account}-${i}`, senderAccountId: account }))
    yield* register(org, id, rows)
    if (bounces > 0) {
      yield* providerEvents(org, rows.slice(0, bounces).map((row) => ({
        messageId: row.providerMessageId, recipient: row.recipient, type: "bounced", at: "2026-03-01T10:02:00Z", data: { bounceKind: "hard" }
      })))
    }
  })

layer(contactsService, { excludeTestServices: true })("the org's sender accounts", (it) => {
  it.effect("an org reads its own accounts' counts, rates and flags, and filters the flagged ones, without the admin key", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const [risky, healthy] = [`${unique("mail-")}.example`, `${unique("news-")}.example`]
      // SENDER_MIN_SAMPLE is 10 in tests, the bounce limit 3%: the first bounce applied flags the account (the two may apply apart).
      yield* sendFrom(org, risky, 10, 2)
      yield* sendFrom(org, healthy, 10, 0)
      const intruder = unique("org-")
      yield* sendFrom(intruder, `${unique("other-")}.example`, 10, 5)

      const all = yield* call(org, "/sender-accounts")
      expect(all).toEqual({
        status: 200,
        body: {
          items: [
            {
              id: risky, orgId: org, sent: 10, delivered: 0, bounced: 2, complained: 0, bounceRate: 0.2, complaintRate: 0,
              flaggedAt: expect.stringMatching(/^\d{4}-.+Z$/), flaggedReason: expect.stringMatching(/^bounce rate (10|20)\.00% exceeds 3\.00% over 10 sends$/), updatedAt: expect.any(String)
            },
            {
              id: healthy, orgId: org, sent: 10, delivered: 0, bounced: 0, complained: 0, bounceRate: 0, complaintRate: 0,
              flaggedAt: null, flaggedReason: null, updatedAt: expect.any(String)
            }
          ].sort((a, b) => a.id.localeCompare(b.id))
        }
      })
      expect(yield* call(org, "/sender-accounts?flagged=true")).toMatchObject({ status: 200, body: { items: [{ id: risky }] } })
      expect(yield* call(org, "/sender-accounts?flagged=false")).toMatchObject({ status: 200, body: { items: [{ id: healthy }] } })
      expect((yield* call(org, "/sender-accounts?flagged=false")).body).toEqual({ items: [expect.objectContaining({ id: healthy })] })

      // Once the admin unflags it, the org sees it among the unflagged.
      const admin = { method: "POST", headers: { authorization: `Bearer ${adminKey}` }, authorized: false }
      expect(yield* call("admin", `/admin/sender-accounts/${risky}/unflag`, admin)).toMatchObject({ status: 200 })
      expect((yield* call(org, "/sender-accounts?flagged=true")).body).toEqual({ items: [] })
    }))

  it.effect("an unknown flag value is a 400 naming true and false; another org's accounts are never listed; no token is a 401", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      yield* sendFrom(org, `${unique("mail-")}.example`, 1, 0)
      expect(yield* call(org, "/sender-accounts?flagged=maybe")).toEqual({
        status: 400, body: { error: "BadRequest", message: "flagged: 'maybe' is not a flag; expected true, false" }
      })
      const stranger = unique("org-")
      expect(yield* call(stranger, "/sender-accounts")).toEqual({ status: 200, body: { items: [] } })
      expect(yield* call(stranger, "/sender-accounts?flagged=false")).toEqual({ status: 200, body: { items: [] } })
      expect(yield* call(org, "/sender-accounts", { authorized: false })).toMatchObject({ status: 401, body: { error: "Unauthorized" } })
      expect(yield* call(org, "/sender-accounts", { tokenOrg: stranger })).toMatchObject({ status: 403, body: { error: "Forbidden" } })
    }))
})
