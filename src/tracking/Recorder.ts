import { Data, DateTime, Effect, Option } from "effect"
import type { Delivery } from "../domain/Delivery.js"
import type { Category, EventType, NormalizedEvent } from "../domain/Event.js"
import { limits } from "../domain/Event.js"
import { Inbox } from "../ingest/Inbox.js"
import { DeliveryRepository } from "../storage/DeliveryRepository.js"
import type { TrackingClaims } from "./Tokens.js"
import { TrackingTokens } from "./Tokens.js"

/** Why a tracking link was not honoured; the reason is what the refusal counters are keyed by. */
export class TrackingRefused extends Data.TaggedError("TrackingRefused")<{
  readonly reason: "missing-token" | "invalid-token" | "not-configured" | "wrong-kind" | "unknown-delivery" | "missing-url" | "url-mismatch"
  readonly message: string
}> {}

/** Who fetched a tracking URL: the first `x-forwarded-for` entry (or the socket's peer) and the user agent. */
export interface Client {
  readonly ip: string | undefined
  readonly userAgent: string | undefined
}

export interface Tracked {
  readonly type: Extract<EventType, "delivered" | "opened" | "clicked" | "unsubscribed">
  /** What the event came from: pixel, click, unsubscribe or app. */
  readonly source: string
  /** Opens and clicks take a fresh id each (every one counts in totals); an unsubscribe or a delivery a stable one. */
  readonly providerEventId: string
  readonly client: Client
  readonly url?: string | undefined
  readonly machine?: boolean | undefined
  readonly category?: Category | undefined
  readonly at?: DateTime.Utc | undefined
}

const optional = <K extends string, V>(key: K, value: V | undefined | null): { [P in K]?: V } =>
  (value === undefined || value === null ? {} : { [key]: value }) as { [P in K]?: V }

/** A tracking event is a provider event of provider `tracking` aimed at a known delivery row. */
export const trackingEvent = (delivery: Delivery, tracked: Tracked, at: DateTime.Utc): NormalizedEvent => ({
  orgId: delivery.orgId,
  provider: "tracking",
  providerEventId: tracked.providerEventId,
  providerEventName: tracked.source,
  providerMessageId: delivery.providerMessageId ?? `delivery-${delivery.id}`,
  recipient: delivery.recipient,
  channel: delivery.channel,
  type: tracked.type,
  occurredAt: at,
  deliveryId: delivery.id,
  ...optional("broadcastId", delivery.broadcastId),
  ...optional("contactId", delivery.contactId),
  ...optional("senderAccountId", delivery.senderAccountId),
  details: {
    ...optional("ip", tracked.client.ip?.slice(0, limits.code)),
    // A recipient's client sends what it likes: kept within the event's bounds, never refused.
    ...optional("userAgent", tracked.client.userAgent?.slice(0, limits.text)),
    ...optional("url", tracked.url),
    ...optional("machine", tracked.machine),
    ...optional("category", tracked.category)
  }
})

/** Finds the delivery a token names and stores tracking events through the inbox, like any provider's. */
export class Recorder extends Effect.Service<Recorder>()("Sendtrail/TrackingRecorder", {
  effect: Effect.gen(function* () {
    const deliveries = yield* DeliveryRepository
    const inbox = yield* Inbox
    const tokens = yield* TrackingTokens

    /** The claims of a valid token made for this kind of link. */
    const claims = Effect.fn("Recorder.claims")(function* (token: string | undefined, kind: TrackingClaims["kind"]) {
      if (token === undefined || token === "") return yield* new TrackingRefused({ reason: "missing-token", message: "the link has no token" })
      const verified = yield* tokens.verify(token).pipe(Effect.catchTags({
        TrackingTokenInvalid: (e) => Effect.fail(new TrackingRefused({ reason: "invalid-token", message: e.message })),
        TrackingUnavailable: (e) => Effect.fail(new TrackingRefused({ reason: "not-configured", message: e.message }))
      }))
      if (verified.kind !== kind) {
        return yield* new TrackingRefused({ reason: "wrong-kind", message: `the token is for a ${verified.kind} link, not a ${kind} link` })
      }
      return verified
    })

    /** The delivery, only when it is the org's: a token never reaches another org's row. */
    const delivery = Effect.fn("Recorder.delivery")(function* (orgId: string, deliveryId: number) {
      return Option.filter(yield* deliveries.findById(deliveryId), (found) => found.orgId === orgId)
    })

    const deliveryOf = Effect.fn("Recorder.deliveryOf")(function* (named: Pick<TrackingClaims, "orgId" | "deliveryId">) {
      const found = yield* delivery(named.orgId, named.deliveryId)
      if (Option.isNone(found)) return yield* new TrackingRefused({ reason: "unknown-delivery", message: "the link names a message that no longer exists" })
      return found.value
    })

    /** Durable once it returns; a repeated stable id is a duplicate and changes nothing. */
    const record = Effect.fn("Recorder.record")(function* (target: Delivery, tracked: Tracked) {
      const at = tracked.at ?? (yield* DateTime.now)
      return yield* inbox.append([trackingEvent(target, tracked, at)])
    })

    return { claims, delivery, deliveryOf, record } as const
  })
}) {}
