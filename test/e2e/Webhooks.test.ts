import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import type { RunningService } from "../support/service.js"
import { startService, tempDataDir } from "../support/service.js"
import { freshDatabaseUrl } from "../support/databases.js"
import { sign } from "../../src/providers/Generic.js"
import { admin, adminKey, drained, postGeneric, secret } from "../support/webhooks.js"

const event = (id: string, type: string, extra: Record<string, unknown> = {}) => ({
  id, type, timestamp: "2026-03-01T10:00:00Z", messageId: `msg-${id.split("-")[0]}`, recipient: "grace@example.com", ...extra
})

describe("webhooks and admin routes through the real server", () => {
  let service: RunningService
  beforeAll(async () => {
    service = await startService({ DATA_DIR: tempDataDir(), DATABASE_URL: await freshDatabaseUrl(), GENERIC_WEBHOOK_SECRET: secret, ADMIN_API_KEY: adminKey, SENDER_MIN_SAMPLE: "2", WEBHOOK_MAX_BODY_BYTES: "65536" })
  }, 60_000)
  afterAll(() => service?.stop())

  it("a signed event is acknowledged once stored, a retry is a duplicate, and it is applied", async () => {
    const body = [event("a-1", "sent", { senderAccountId: "sender-e2e" }), event("a-2", "bounced", { senderAccountId: "sender-e2e", data: { reason: "550 5.1.1 no such user" } })]
    const first = await postGeneric(service.baseUrl, body)
    expect(first.status).toBe(200)
    expect(await first.json()).toEqual({ accepted: 2, duplicates: 0 })
    expect(await (await postGeneric(service.baseUrl, body)).json()).toEqual({ accepted: 0, duplicates: 2 })
    await drained(service.baseUrl)
    let accounts: { items: Array<Record<string, unknown>> } = { items: [] }
    for (let i = 0; i < 100 && accounts.items.length === 0; i++) {
      accounts = (await fetch(`${service.baseUrl}/admin/sender-accounts?orgId=default`, { headers: admin }).then((r) => r.json())) as typeof accounts
      if (accounts.items.length === 0) await new Promise((r) => setTimeout(r, 50))
    }
    expect(accounts.items[0]).toMatchObject({ id: "sender-e2e", sent: 1, bounced: 1, bounceRate: 1, flaggedAt: null })
  })

  it("a missing or wrong signature is refused with 401 naming the check, and nothing is stored", async () => {
    const body = [event("b-1", "delivered")]
    const unsigned = await fetch(`${service.baseUrl}/connect/webhook/generic`, { method: "POST", body: JSON.stringify(body) })
    expect(unsigned.status).toBe(401)
    expect(await unsigned.json()).toMatchObject({ error: "SignatureRejected", message: expect.stringMatching(/^missing-signature/) })
    const wrong = await postGeneric(service.baseUrl, body, "0".repeat(64))
    expect(wrong.status).toBe(401)
    expect(await wrong.json()).toMatchObject({ error: "SignatureRejected", message: expect.stringMatching(/^signature-mismatch/) })
    expect(await (await postGeneric(service.baseUrl, body)).json()).toEqual({ accepted: 1, duplicates: 0 })
  })

  it("a body that verifies but does not decode is a 400 naming the field, kept in dead letters, and replay says it is still invalid", async () => {
    const response = await postGeneric(service.baseUrl, [event("c-1", "delivered"), event("c-2", "read")])
    expect(response.status).toBe(400)
    const body = (await response.json()) as { error: string; message: string }
    expect(body.error).toBe("PayloadRejected")
    expect(body.message).toMatch(/^\[1\]\.type/)
    const letters = (await fetch(`${service.baseUrl}/admin/dead-letters`, { headers: admin }).then((r) => r.json())) as { items: Array<{ id: number; stage: string; rawBody: string }> }
    const letter = letters.items.find((l) => l.rawBody.includes("c-2"))
    expect(letter).toMatchObject({ stage: "decode" })
    const replay = await fetch(`${service.baseUrl}/admin/dead-letters/${letter!.id}/replay`, { method: "POST", headers: admin })
    expect(replay.status).toBe(422)
    expect((await fetch(`${service.baseUrl}/admin/dead-letters/999999/replay`, { method: "POST", headers: admin })).status).toBe(404)
  })

  it("admin routes need the bearer key", async () => {
    for (const headers of [{}, { authorization: "Bearer wrong" }, { authorization: adminKey }]) {
      const response = await fetch(`${service.baseUrl}/admin/dead-letters`, { headers })
      expect(response.status).toBe(401)
      expect(await response.json()).toMatchObject({ error: "Unauthorized" })
    }
    const unflag = await fetch(`${service.baseUrl}/admin/sender-accounts/nobody/unflag`, { method: "POST", headers: admin })
    expect(unflag.status).toBe(404)
    expect(await unflag.json()).toEqual({ error: "NotFound", message: "no sender account 'nobody'" })
  })

  it("a sender account over the bounce threshold is flagged and can be unflagged", async () => {
    const events = [0, 1, 2, 3].flatMap((i) => [
      event(`f${i}-sent`, "sent", { messageId: `flag-${i}`, recipient: `r${i}@example.com`, senderAccountId: "sender-flag" }),
      ...(i < 2 ? [event(`f${i}-bounce`, "bounced", { messageId: `flag-${i}`, recipient: `r${i}@example.com`, senderAccountId: "sender-flag" })] : [])
    ])
    expect((await postGeneric(service.baseUrl, events)).status).toBe(200)
    await drained(service.baseUrl)
    let account: Record<string, unknown> | undefined
    for (let i = 0; i < 100; i++) {
      const list = (await fetch(`${service.baseUrl}/admin/sender-accounts`, { headers: admin }).then((r) => r.json())) as { items: Array<Record<string, unknown>> }
      account = list.items.find((a) => a.id === "sender-flag")
      if (account?.sent === 4 && account.bounced === 2) break
      await new Promise((r) => setTimeout(r, 50))
    }
    expect(account).toMatchObject({ sent: 4, bounced: 2, bounceRate: 0.5, flaggedReason: expect.stringMatching(/^bounce rate 50.00% exceeds 3.00%/) })
    const unflagged = await fetch(`${service.baseUrl}/admin/sender-accounts/sender-flag/unflag`, { method: "POST", headers: admin }).then((r) => r.json())
    expect(unflagged).toMatchObject({ id: "sender-flag", flaggedAt: null, flaggedReason: null })
  })

  it("a connection routes webhooks to its org with its own secret, and its secrets are never shown", async () => {
    const created = await fetch(`${service.baseUrl}/admin/connections`, {
      method: "POST", headers: { ...admin, "content-type": "application/json" },
      body: JSON.stringify({ orgId: "org-acme", vendor: "generic", secrets: { secret: "acme-secret" } })
    })
    expect(created.status).toBe(201)
    const connection = (await created.json()) as { id: string; secrets: Record<string, string> }
    expect(connection).toMatchObject({ orgId: "org-acme", vendor: "generic", secrets: { secret: "[redacted]" } })
    const listed = await fetch(`${service.baseUrl}/admin/connections?orgId=org-acme`, { headers: admin }).then((r) => r.text())
    expect(listed).toContain(connection.id)
    expect(listed).not.toContain("acme-secret")

    const body = JSON.stringify([event("g-1", "delivered", { senderAccountId: "sender-acme" })])
    const url = `${service.baseUrl}/connect/webhook/generic/${connection.id}`
    const signedWith = (key: string) => ({ "x-webhook-signature": sign(key, body) })
    expect((await fetch(url, { method: "POST", headers: signedWith(secret), body })).status).toBe(401)
    expect(await (await fetch(url, { method: "POST", headers: signedWith("acme-secret"), body })).json()).toEqual({ accepted: 1, duplicates: 0 })
    const unknown = await fetch(`${service.baseUrl}/connect/webhook/generic/conn_nope`, { method: "POST", headers: signedWith("acme-secret"), body })
    expect(unknown.status).toBe(404)
  })

  it("connections with an unknown vendor or unusable secrets are refused with 400 naming the field", async () => {
    const post = (payload: unknown) => fetch(`${service.baseUrl}/admin/connections`, {
      method: "POST", headers: { ...admin, "content-type": "application/json" }, body: JSON.stringify(payload)
    })
    const vendor = await post({ orgId: "o", vendor: "pigeon", secrets: {} })
    expect(vendor.status).toBe(400)
    expect(await vendor.json()).toMatchObject({ error: "BadRequest", message: expect.stringMatching(/^vendor: expected one of generic/) })
    const secrets = await post({ orgId: "o", vendor: "generic", secrets: { secret: "" } })
    expect(secrets.status).toBe(400)
    expect(await secrets.json()).toMatchObject({ error: "BadRequest", message: expect.stringMatching(/^secrets\.secret/) })
    const shape = await post({ vendor: "generic", secrets: {} })
    expect(shape.status).toBe(400)
    expect(await shape.json()).toMatchObject({ error: "BadRequest", message: expect.stringMatching(/^orgId/) })
  })

  it("a body over the size limit is refused with 413 before it is read", async () => {
    const huge = JSON.stringify(Array.from({ length: 2000 }, (_, i) => event(`h-${i}`, "delivered")))
    const response = await postGeneric(service.baseUrl, huge)
    expect(response.status).toBe(413)
    expect(await response.json()).toMatchObject({ error: "PayloadTooLarge" })
  })

  it("the OpenAPI document lists the webhook and admin routes", async () => {
    const document = (await fetch(`${service.baseUrl}/openapi.json`).then((r) => r.json())) as { paths: Record<string, unknown> }
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining([
      "/health", "/connect/webhook/generic", "/admin/dead-letters", "/admin/dead-letters/{id}/replay", "/admin/sender-accounts",
      "/admin/sender-accounts/{id}/unflag", "/admin/inbox", "/admin/connections",
      "/connect/webhook/sendgrid", "/connect/webhook/mailgun", "/connect/webhook/ses/{orgId}", "/api/ses-events",
      "/connect/webhook/resend", "/connect/webhook/postmark", "/connect/webhook/twilio/status",
      "/api/tracking/pixel.gif", "/api/tracking/click", "/api/tracking/unsubscribe", "/tracking/render", "/repository/create/analytics_event",
      "/broadcast", "/broadcast/{id}", "/broadcast/{id}/deliveries", "/broadcast/{id}/push-results", "/broadcast/{id}/retry-list",
      "/suppressions", "/suppressions/check", "/contacts/import", "/contacts/{id}",
      "/broadcast/{id}/report", "/broadcast/{id}/report.csv", "/broadcast/activity", "/broadcast/activity/{messageId}",
      "/broadcast/stats", "/broadcast/stats/summary", "/deliverability/health", "/events/stream", "/metrics"
    ]))
  })
})

describe("a service with no secrets configured", () => {
  it("refuses every webhook and every admin request instead of turning verification off", { timeout: 60_000 }, async () => {
    const service = await startService({ DATA_DIR: tempDataDir(), DATABASE_URL: await freshDatabaseUrl() })
    try {
      const webhook = await postGeneric(service.baseUrl, [event("d-1", "delivered")])
      expect(webhook.status).toBe(401)
      expect(await webhook.json()).toMatchObject({ error: "SignatureRejected", message: expect.stringMatching(/^missing-secret/) })
      const adminResponse = await fetch(`${service.baseUrl}/admin/inbox`, { headers: { authorization: "Bearer anything" } })
      expect(adminResponse.status).toBe(401)
      expect(await adminResponse.json()).toMatchObject({ message: expect.stringMatching(/ADMIN_API_KEY is not configured/) })
    } finally {
      await service.stop()
    }
  })
})
