import { Schema } from "effect"
import { Channel, EventType } from "./Event.js"

/**
 * Events from a route that names no org (#16 item 8). Such an event is stored under the default org
 * and marked `pending`; the pipeline then looks its provider message id up among the deliveries of
 * the other orgs and the event becomes `matched` (that org's) or falls back to the default org for one
 * of the `UnmatchedReason`s.
 */
export const OrgMatch = Schema.Literal("pending", "matched", "no-delivery", "ambiguous")
export type OrgMatch = typeof OrgMatch.Type

/** `no-delivery`: no other org has a delivery with this message id; `ambiguous`: several have. */
export const UnmatchedReason = Schema.Literal("no-delivery", "ambiguous")
export type UnmatchedReason = typeof UnmatchedReason.Type

export type Resolution =
  | { readonly _tag: "Matched"; readonly orgId: string }
  | { readonly _tag: "Unmatched"; readonly reason: UnmatchedReason; readonly candidates: ReadonlyArray<string> }

/**
 * Whose event it is, given the orgs that have a delivery with its provider and message id. The default
 * org is no candidate: the event is already its own, and the rows its earlier unmatched events created
 * must not make later ones look matched. One other org: that org's. None: the default org's. Several:
 * ambiguous, never guessed; the default org's, and the candidates are said.
 */
export const resolveOrg = (defaultOrgId: string, orgs: Iterable<string>): Resolution => {
  const candidates = [...new Set(orgs)].filter((org) => org !== defaultOrgId).sort()
  return candidates.length === 1
    ? { _tag: "Matched", orgId: candidates[0]! }
    : { _tag: "Unmatched", reason: candidates.length === 0 ? "no-delivery" : "ambiguous", candidates }
}

/** An event that fell back to the default org, as GET /admin/unmatched lists it. */
export const UnmatchedEvent = Schema.Struct({
  id: Schema.Number.annotations({ description: "the event's inbox row" }),
  reason: UnmatchedReason,
  candidateOrgs: Schema.Array(Schema.String).annotations({
    description: "ambiguous: the orgs that each have a delivery with this message id (none was chosen); empty for no-delivery"
  }),
  orgId: Schema.String.annotations({ description: "the org it was applied under: DEFAULT_ORG_ID" }),
  provider: Schema.String,
  providerEventId: Schema.String,
  providerMessageId: Schema.String,
  recipient: Schema.String,
  channel: Channel,
  type: EventType,
  occurredAt: Schema.DateTimeUtc,
  receivedAt: Schema.DateTimeUtc
})
export type UnmatchedEvent = typeof UnmatchedEvent.Type
