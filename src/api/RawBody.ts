import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import { Data, Effect, Stream } from "effect"

export class BodyTooLarge extends Data.TaggedError("BodyTooLarge")<{ readonly limit: number }> {}

/**
 * The request's exact bytes, refusing more than `limit`: a declared Content-Length over it is refused
 * before reading, and a body without one stops being read as soon as it passes the limit.
 */
export const readBody = (request: HttpServerRequest.HttpServerRequest, limit: number) =>
  Effect.gen(function* () {
    const declared = Number(request.headers["content-length"] ?? Number.NaN)
    if (declared > limit) return yield* new BodyTooLarge({ limit })
    // A declared length bounds the body (HTTP framing): read it whole, natively, which costs a tenth
    // of reading it chunk by chunk through a Stream (docs/benchmarks.md).
    if (Number.isSafeInteger(declared) && declared >= 0) return Buffer.from(yield* Effect.orDie(request.arrayBuffer))
    const chunks: Array<Uint8Array> = []
    let size = 0
    yield* request.stream.pipe(
      // A connection that breaks mid-body is not the sender's typed mistake: nothing to answer.
      Stream.orDie,
      Stream.runForEach((chunk) => {
        size += chunk.length
        if (size > limit) return Effect.fail(new BodyTooLarge({ limit }))
        chunks.push(chunk)
        return Effect.void
      })
    )
    return Buffer.concat(chunks, size)
  })
