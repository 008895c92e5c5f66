// A trivial Bun.serve for `bench -- ingest`: reads and parses the JSON body and answers 200 with the
// event count, like the webhook endpoint does, but without verifying, decoding or storing anything. It shows what
// the load generator and Bun's HTTP layer alone reach on this machine (the ceiling for the service).
const port = Number(process.env.PORT)

Bun.serve({
  hostname: "127.0.0.1",
  port,
  fetch: async (request) => {
    const text = await request.text()
    const json: unknown = text === "" ? null : JSON.parse(text)
    return Response.json({ accepted: Array.isArray(json) ? json.length : json === null ? 0 : 1, duplicates: 0 })
  }
})
console.log("ready")
