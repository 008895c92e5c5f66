// A trivial Bun.serve for `bench -- ingest`: reads the whole body and answers 200 with a small JSON,
// like the webhook endpoint does, but without checking, decoding or storing anything. It shows what
// the load generator and Bun's HTTP layer alone reach on this machine (the ceiling for the service).
const port = Number(process.env.PORT)

Bun.serve({
  hostname: "127.0.0.1",
  port,
  fetch: async (request) => {
    const body = await request.arrayBuffer()
    return Response.json({ accepted: body.byteLength > 0 ? 1 : 0, duplicates: 0 })
  }
})
console.log("ready")
