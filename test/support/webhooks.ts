import { sign } from "../../src/providers/Generic.js"

export const secret = "e2e-secret"
export const adminKey = "e2e-admin-key"
export const admin = { authorization: `Bearer ${adminKey}` }

export const postGeneric = (baseUrl: string, body: unknown, signature?: string) => {
  const text = typeof body === "string" ? body : JSON.stringify(body)
  return fetch(`${baseUrl}/connect/webhook/generic`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-webhook-signature": signature ?? `sha256=${sign(secret, text)}` },
    body: text
  })
}

/** Waits until the pipeline has applied everything the inbox holds. */
export const drained = async (baseUrl: string, timeoutMs = 20_000) => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const inbox = (await fetch(`${baseUrl}/admin/inbox`, { headers: admin }).then((r) => r.json())) as { pending: number }
    if (inbox.pending === 0) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error("the inbox did not drain in time")
}
