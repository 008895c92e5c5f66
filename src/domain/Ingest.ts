import { Schema } from "effect"
import type { OrgMatch } from "./OrgMatch.js"

/** A row of the durable inbox: an encoded `NormalizedEvent` waiting to be applied. */
export interface InboxEntry {
  readonly id: number
  readonly event: unknown
  readonly attempts: number
  readonly receivedAt: Date
  /** Set on events from a route that names no org: `pending` until the pipeline finds whose they are. */
  readonly orgMatch: OrgMatch | null
}

export const DeadLetterStage = Schema.Literal("decode", "apply")
export type DeadLetterStage = typeof DeadLetterStage.Type

export const DeadLetter = Schema.Struct({
  id: Schema.Number,
  orgId: Schema.String,
  provider: Schema.String,
  inboxId: Schema.NullOr(Schema.Number),
  stage: DeadLetterStage,
  error: Schema.String,
  /** The refused body as text (invalid UTF-8 shown as U+FFFD), and byte for byte. */
  rawBody: Schema.NullOr(Schema.String),
  rawBodyBase64: Schema.NullOr(Schema.String),
  headers: Schema.NullOr(Schema.Record({ key: Schema.String, value: Schema.String })),
  url: Schema.NullOr(Schema.String),
  event: Schema.NullOr(Schema.Unknown),
  createdAt: Schema.DateTimeUtc,
  replayedAt: Schema.NullOr(Schema.DateTimeUtc)
})
export type DeadLetter = typeof DeadLetter.Type

/** How a dead letter shows a refused body: readable, and exact. */
export const rawBodyFields = (bytes: Uint8Array | null) => ({
  rawBody: bytes === null ? null : Buffer.from(bytes).toString("utf8"),
  rawBodyBase64: bytes === null ? null : Buffer.from(bytes).toString("base64")
})
