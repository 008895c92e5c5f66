import { describe, expect, it } from "@effect/vitest"
import { freshDatabaseUrl } from "../support/databases.js"
import { mailgunRequest, nowSeconds, unique } from "../support/providerRoutes.js"
import { startService, tempDataDir } from "../support/service.js"

const signingKey = "key-mailgun-replay-e2e"

const delivered = () => ({
  event: "delivered", id: unique("mg-"), timestamp: nowSeconds(), recipient: "ada@example.com",
  message: { headers: { "message-id": `${unique("m")}@mg.example.com` } }, "delivery-status": { code: 250, message: "OK" }
})

const send = (baseUrl: string, request: { body: string; headers: Record<string, string> }) =>
  fetch(`${baseUrl}/connect/webhook/mailgun`, { method: "POST", ...request }).then(async (r) => ({ status: r.status, body: await r.json() }))

describe("Mailgun's signed tokens", () => {
  it("a request replayed after a restart, or to another instance on the same database, is refused", { timeout: 90_000 }, async () => {
    const env = { DATABASE_URL: await freshDatabaseUrl(), MAILGUN_WEBHOOK_SIGNING_KEY: signingKey }
    const request = mailgunRequest(signingKey, delivered())
    const [first, second] = await Promise.all([startService({ ...env, DATA_DIR: tempDataDir() }), startService({ ...env, DATA_DIR: tempDataDir() })])
    try {
      expect(await send(first.baseUrl, request)).toMatchObject({ status: 200, body: { accepted: 1 } })
      expect(await send(second.baseUrl, request)).toMatchObject({ status: 401, body: { message: expect.stringMatching(/^replayed-token: /) } })
    } finally {
      await Promise.all([first.stop(), second.stop()])
    }
    const restarted = await startService({ ...env, DATA_DIR: tempDataDir() })
    try {
      expect(await send(restarted.baseUrl, request)).toMatchObject({ status: 401, body: { message: expect.stringMatching(/^replayed-token: /) } })
      expect(await send(restarted.baseUrl, mailgunRequest(signingKey, delivered()))).toMatchObject({ status: 200 })
    } finally {
      await restarted.stop()
    }
  })
})
