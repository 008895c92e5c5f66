import { Effect, Queue } from "effect"
import type { NormalizedEvent } from "../domain/Event.js"

/** Events a subscriber may have waiting; one more and it is dropped (its queue shut down). */
export const subscriberCapacity = 1_000

interface Subscriber {
  readonly orgId: string
  readonly queue: Queue.Queue<NormalizedEvent>
}

/**
 * The applied events, fanned out to live subscribers (GET /events/stream) by org. Publishing never
 * waits: each subscriber has its own bounded queue, offered to without suspending; a subscriber whose
 * queue is full is too slow and is dropped (its queue is shut down, which ends its stream).
 */
export class EventFeed extends Effect.Service<EventFeed>()("Sendtrail/EventFeed", {
  sync: () => {
    const subscribers = new Set<Subscriber>()
    const drop = (subscriber: Subscriber) => {
      subscribers.delete(subscriber)
      return Queue.shutdown(subscriber.queue)
    }
    return {
      publish: (event: NormalizedEvent): Effect.Effect<void> =>
        Effect.suspend(() => {
          const slow: Array<Subscriber> = []
          for (const subscriber of subscribers) {
            if (subscriber.orgId === event.orgId && !subscriber.queue.unsafeOffer(event)) slow.push(subscriber)
          }
          return slow.length === 0 ? Effect.void : Effect.forEach(slow, drop, { discard: true })
        }),
      /** A queue of the org's events from now on, until the scope closes or the subscriber is dropped. */
      subscribe: (orgId: string, capacity: number = subscriberCapacity) =>
        Effect.acquireRelease(
          Effect.map(Queue.bounded<NormalizedEvent>(capacity), (queue) => {
            const subscriber = { orgId, queue }
            subscribers.add(subscriber)
            return subscriber
          }),
          drop
        ).pipe(Effect.map((subscriber) => subscriber.queue)),
      subscribers: Effect.sync(() => subscribers.size)
    } as const
  }
}) {}
