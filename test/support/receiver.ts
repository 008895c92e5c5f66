import { Effect } from "effect"

export interface Received {
  readonly headers: Record<string, string>
  readonly body: string
}

export interface Receiver {
  readonly url: string
  readonly port: number
  readonly received: Array<Received>
  /** Waits until `count` requests have arrived (never asserts a time: fails only past the generous bound). */
  readonly awaitCount: (count: number, timeoutMs?: number) => Effect.Effect<ReadonlyArray<Received>>
}

/**
 * A real HTTP receiver on 127.0.0.1 (a free port) for the life of the scope: it records every request
 * and answers what `respond` says for the n-th one (0-based).
 */
export const receiver = (respond: (n: number, request: Received) => Response | Promise<Response> = () => new Response("ok")) =>
  Effect.gen(function* () {
    const received: Array<Received> = []
    const server = yield* Effect.acquireRelease(
      Effect.sync(() => Bun.serve({
        hostname: "127.0.0.1",
        port: 0,
        fetch: async (request) => {
          const entry = { headers: Object.fromEntries(request.headers.entries()), body: await request.text() }
          received.push(entry)
          return respond(received.length - 1, entry)
        }
      })),
      (server) => Effect.promise(() => server.stop(true))
    )
    const awaitCount = (count: number, timeoutMs = 20_000) =>
      Effect.promise(async () => {
        const deadline = Date.now() + timeoutMs
        while (received.length < count && Date.now() < deadline) await Bun.sleep(25)
        return [...received]
      })
    return { url: `http://127.0.0.1:${server.port}/hooks`, port: server.port!, received, awaitCount } satisfies Receiver
  })
