import { Effect, Option } from "effect"
import type { Delivery } from "../domain/Delivery.js"
import { WebhookStats } from "../ingest/WebhookStats.js"
import { BroadcastRepository } from "../storage/BroadcastRepository.js"
import type { Client } from "./Recorder.js"
import { Recorder } from "./Recorder.js"
import type { TrackingClaims } from "./Tokens.js"

/** What an unsubscribe link names: the delivery, the category (if any) and the broadcast's name. */
export interface UnsubscribeTarget {
  readonly claims: TrackingClaims
  readonly delivery: Delivery
  readonly listName: string | undefined
}

/**
 * Unsubscribe links. The event goes through the inbox like any provider's `unsubscribed`, and the
 * contact actor carries out its effects (opt-out, suppression, list removal, activity, audit). Its id
 * is stable per delivery and scope, so a second click, a retried one-click POST or a GET followed by
 * the button is a duplicate that changes nothing.
 */
export class Unsubscribes extends Effect.Service<Unsubscribes>()("Sendtrail/Unsubscribes", {
  effect: Effect.gen(function* () {
    const recorder = yield* Recorder
    const broadcasts = yield* BroadcastRepository
    const stats = yield* WebhookStats

    const listName = (delivery: Delivery, claims: TrackingClaims) => {
      const broadcastId = delivery.broadcastId ?? claims.broadcastId
      return broadcastId === undefined
        ? Effect.succeed(undefined)
        : Effect.map(broadcasts.findById(broadcastId), (found) =>
          Option.getOrUndefined(Option.map(Option.filter(found, (b) => b.orgId === delivery.orgId), (b) => b.name)))
    }

    const target = Effect.fn("Unsubscribes.target")(function* (token: string | undefined) {
      const claims = yield* recorder.claims(token, "unsubscribe")
      const delivery = yield* recorder.deliveryOf(claims)
      return { claims, delivery, listName: yield* listName(delivery, claims) } satisfies UnsubscribeTarget
    }, Effect.tapError((refused) => stats.rejected("tracking", refused.reason)))

    /** False for security mail, which is never blocked: nothing is recorded. Durable once it returns. */
    const unsubscribe = Effect.fn("Unsubscribes.unsubscribe")(function* (target: UnsubscribeTarget, client: Client) {
      const { claims, delivery } = target
      if (claims.category === "security") return false
      yield* recorder.record(delivery, {
        type: "unsubscribed", source: "unsubscribe", client, category: claims.category,
        providerEventId: `unsubscribe:${delivery.id}:${claims.category ?? delivery.channel}`
      })
      return true
    })

    return { target, unsubscribe } as const
  })
}) {}
