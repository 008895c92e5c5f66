import { describe, expect, it } from "@effect/vitest"
import { SignJWT } from "jose"
import { freshDatabaseUrl } from "../support/databases.js"
import type { Received } from "../support/receiver.js"
import { startService, tempDataDir } from "../support/service.js"
import { adminKey, drained, postGeneric, secret } from "../support/webhooks.js"

const jwtSecret = "restart-jwt-secret"
const org = "default"

const token = () => new SignJWT({ org }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("1h").sign(new TextEncoder().encode(jwtSecret))

const orgCall = async (baseUrl: string, path: string, body?: unknown) => {
  const response = await fetch(`${baseUrl}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { orgid: org, authorization: `Bearer ${await token()}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  return { status: response.status, body: await response.json() as Record<string, unknown> }
}

const until = async (done: () => boolean | Promise<boolean>, timeoutMs = 30_000) => {
  const deadline = Date.now() + timeoutMs
  while (!(await done()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
}

describe("notifications across a restart", () => {
  it("a message whose receiver failed is delivered after the service is killed and started again, under the same webhook-id", { timeout: 120_000 }, async () => {
    let healthy = false
    const received: Array<Received & { readonly answered: number }> = []
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: async (request) => {
        const answered = healthy ? 200 : 500
        received.push({ headers: Object.fromEntries(request.headers.entries()), body: await request.text(), answered })
        return new Response(healthy ? "ok" : "down", { status: answered })
      }
    })
    const env = {
      DATA_DIR: tempDataDir(), DATABASE_URL: await freshDatabaseUrl(), GENERIC_WEBHOOK_SECRET: secret, ADMIN_API_KEY: adminKey, JWT_SECRET: jwtSecret,
      NOTIFICATION_ALLOWED_HOSTS: "127.0.0.1", NOTIFICATION_RETRY_BASE_MS: "1000", NOTIFICATION_TIMEOUT_MS: "2000"
    }
    try {
      const first = await startService(env)
      const created = await orgCall(first.baseUrl, "/notification-endpoints", { url: `http://127.0.0.1:${server.port}/hooks`, events: ["delivery.bounced"] })
      expect(created.status).toBe(201)
      const endpointId = (created.body.endpoint as { id: string }).id
      const event = { id: "restart-1", type: "bounced", timestamp: new Date().toISOString(), messageId: "restart-msg", recipient: "gone@example.com" }
      expect((await postGeneric(first.baseUrl, [event])).status).toBe(200)
      await drained(first.baseUrl)
      // The first attempt failed and is recorded (its retry scheduled): the service dies before the retry.
      const failedAttempts = async () => ((await orgCall(first.baseUrl, `/notification-endpoints/${endpointId}/deliveries`)).body.items as ReadonlyArray<unknown>).length
      await until(async () => (await failedAttempts()) >= 1)
      await first.kill()
      expect(received.length).toBeGreaterThanOrEqual(1)
      expect(received.every((r) => r.answered === 500)).toBe(true)
      const webhookId = received[0]!.headers["webhook-id"]
      healthy = true

      const second = await startService(env)
      const logOf = async () => (await orgCall(second.baseUrl, `/notification-endpoints/${endpointId}/deliveries`)).body.items as ReadonlyArray<{ messageId: string; outcome: string }>
      await until(async () => (await logOf()).some((a) => a.outcome === "delivered"))
      const log = await logOf()
      expect(await second.stop()).toBe(0)
      const delivered = received.filter((r) => r.answered === 200)
      expect(delivered).toHaveLength(1)
      expect(delivered[0]!.headers["webhook-id"]).toBe(webhookId)
      expect(JSON.parse(delivered[0]!.body)).toMatchObject({ type: "delivery.bounced", data: { recipient: "gone@example.com" } })
      expect(new Set(received.map((r) => r.headers["webhook-id"]))).toEqual(new Set([webhookId]))
      expect(log.filter((a) => a.outcome === "delivered").map((a) => a.messageId)).toEqual([webhookId])
    } finally {
      await server.stop(true)
    }
  })
})
