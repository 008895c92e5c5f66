import type { Effect } from "effect"
import type { NormalizedEvent } from "../domain/Event.js"
import * as Generic from "./Generic.js"

/** Decoding a verified body, by provider: used again when a dead letter from the decode stage is replayed. */
export const decoders: Record<string, (rawBody: Uint8Array, orgId: string) => Effect.Effect<ReadonlyArray<NormalizedEvent>, Generic.PayloadRejected>> = {
  [Generic.provider]: Generic.decode
}
