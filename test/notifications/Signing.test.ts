import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import { Webhook } from "standardwebhooks"
import { retryDelayMs } from "../../src/notifications/Dispatcher.js"
import { render } from "../../src/notifications/Formats.js"
import { newSecret, signedHeaders } from "../../src/notifications/Signing.js"

describe("Standard Webhooks signing", () => {
  it.prop("any JSON body signed under any id verifies with the library, with the current secret and with the previous one", [fc.jsonValue(), fc.stringMatching(/^msg_[0-9a-f]{32}$/)], ([value, id]) => {
    const body = JSON.stringify({ type: "delivery.bounced", timestamp: "2026-03-01T10:00:00.000Z", data: { value } })
    const [current, previous] = [newSecret(), newSecret()]
    const headers = signedHeaders([current, previous], id, Math.floor(Date.now() / 1000), body)
    expect(new Webhook(current).verify(body, headers)).toEqual(JSON.parse(body))
    expect(new Webhook(previous).verify(body, headers)).toEqual(JSON.parse(body))
    expect(() => new Webhook(newSecret()).verify(body, headers)).toThrow()
    expect(() => new Webhook(current).verify(`${body} `, headers)).toThrow()
  })

  it.prop("the wait before a retry grows from the base, never past an hour, drawn in the upper half of its ceiling", [fc.integer({ min: 1, max: 60 }), fc.double({ min: 0, max: 1, noNaN: true })], ([attempts, random]) => {
    const ceiling = Math.min(3_600_000, 5_000 * 2 ** Math.min(30, attempts - 1))
    const wait = retryDelayMs(5_000, attempts, random)
    expect(wait).toBeGreaterThanOrEqual(ceiling / 2)
    expect(wait).toBeLessThanOrEqual(ceiling)
  })

  it("Slack and Discord get one readable line; Discord's is cut at its 2,000-character limit", () => {
    const payload = { type: "delivery.bounced", timestamp: "2026-03-01T10:00:00.000Z", data: { recipient: "a@example.com", channel: "email", reason: "x".repeat(3000) } }
    expect(JSON.parse(render("slack", payload))).toEqual({ text: `[Sendtrail] Bounced: a@example.com (email) · — ${"x".repeat(3000)}` })
    expect((JSON.parse(render("discord", payload)) as { content: string }).content).toHaveLength(2000)
    expect(JSON.parse(render("standard", payload))).toEqual(payload)
  })

  it("text a provider or a recipient wrote pings nobody: Slack's <, > and & escaped, Discord's mentions off", () => {
    const payload = { type: "delivery.bounced", timestamp: "2026-03-01T10:00:00.000Z", data: { recipient: "a@example.com", channel: "email", reason: "<!channel> & @everyone" } }
    expect((JSON.parse(render("slack", payload)) as { text: string }).text).toBe("[Sendtrail] Bounced: a@example.com (email) · — &lt;!channel&gt; &amp; @everyone")
    expect(JSON.parse(render("discord", payload))).toMatchObject({ allowed_mentions: { parse: [] } })
  })
})
