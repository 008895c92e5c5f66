import { DateTime, Effect, Layer, Option, Ref } from "effect"
import type { Delivery, DeliveryEvent } from "../../domain/Delivery.js"
import { eventKey } from "../../domain/Event.js"
import type { DeliveryKey } from "../DeliveryRepository.js"
import { DeliveryRepository } from "../DeliveryRepository.js"

interface Tables {
  readonly deliveries: ReadonlyMap<number, Delivery>
  readonly events: ReadonlyMap<string, DeliveryEvent>
  readonly nextId: number
}

const sameKey = (delivery: Delivery, key: DeliveryKey) =>
  delivery.orgId === key.orgId && delivery.provider === key.provider &&
  delivery.providerMessageId === key.providerMessageId && delivery.recipient === key.recipient

/** The same interface over maps, for unit tests of the layers above; the contract suite keeps it true. */
export const layer = Layer.effect(
  DeliveryRepository,
  Effect.gen(function* () {
    const tables = yield* Ref.make<Tables>({ deliveries: new Map(), events: new Map(), nextId: 1 })
    const find = (key: DeliveryKey) =>
      Effect.map(Ref.get(tables), (t) => Option.fromNullable([...t.deliveries.values()].find((d) => sameKey(d, key))))
    const update = (id: number, f: (delivery: Delivery) => Delivery) =>
      Ref.update(tables, (t) => {
        const current = t.deliveries.get(id)
        return current === undefined ? t : { ...t, deliveries: new Map(t.deliveries).set(id, f(current)) }
      })

    return DeliveryRepository.make({
      findById: (id) => Effect.map(Ref.get(tables), (t) => Option.fromNullable(t.deliveries.get(id))),
      findByProviderMessage: find,
      lockById: (id) => Effect.map(Ref.get(tables), (t) => Option.fromNullable(t.deliveries.get(id))),
      acquire: (input) =>
        Ref.modify(tables, (t) => {
          const existing = [...t.deliveries.values()].find((d) => sameKey(d, input))
          if (existing !== undefined) return [existing, t]
          const delivery: Delivery = {
            id: t.nextId,
            orgId: input.orgId,
            broadcastId: input.broadcastId,
            contactId: input.contactId,
            recipient: input.recipient,
            channel: input.channel,
            status: input.status,
            provider: input.provider,
            providerMessageId: input.providerMessageId,
            senderAccountId: input.senderAccountId,
            errorReason: null,
            cost: input.cost,
            milestones: input.reached ? { [input.status]: input.at } : {},
            decidedAt: null,
            decidedBy: null,
            createdAt: input.at,
            updatedAt: input.at
          }
          return [delivery, { ...t, deliveries: new Map(t.deliveries).set(delivery.id, delivery), nextId: t.nextId + 1 }]
        }),
      saveState: (id, state, at) =>
        update(id, (d) => ({
          ...d,
          status: state.status,
          errorReason: state.errorReason,
          decidedAt: state.decidedAt,
          decidedBy: state.decidedBy,
          milestones: state.milestones,
          updatedAt: at
        })),
      appendEvent: (deliveryId, event) =>
        Effect.flatMap(DateTime.now, (now) =>
          Ref.modify(tables, (t) => {
            const key = eventKey(event)
            if (t.events.has(key)) return [false, t]
            const row: DeliveryEvent = {
              id: t.nextId,
              deliveryId,
              orgId: event.orgId,
              type: event.type,
              occurredAt: event.occurredAt,
              receivedAt: now,
              provider: event.provider,
              providerEventName: event.providerEventName ?? null,
              providerEventId: event.providerEventId,
              details: event.details
            }
            return [true, { ...t, events: new Map(t.events).set(key, row), nextId: t.nextId + 1 }]
          })),
      softBouncesSinceDelivery: (orgId, channel, recipient) =>
        Effect.map(Ref.get(tables), (t) => {
          const mine = [...t.events.values()].filter((e) => {
            const delivery = t.deliveries.get(e.deliveryId)
            return delivery !== undefined && delivery.orgId === orgId && delivery.channel === channel && delivery.recipient === recipient
          })
          const lastDelivered = mine.filter((e) => e.type === "delivered").reduce<number>((max, e) => Math.max(max, e.occurredAt.epochMillis), -Infinity)
          return mine.filter((e) =>
            (e.type === "soft_bounced" || (e.type === "bounced" && e.details.bounceKind === "soft")) && e.occurredAt.epochMillis > lastDelivered).length
        }),
      events: (deliveryId) =>
        Effect.map(Ref.get(tables), (t) =>
          [...t.events.values()]
            .filter((e) => e.deliveryId === deliveryId)
            .sort((a, b) => DateTime.Order(a.occurredAt, b.occurredAt) || a.id - b.id))
    })
  })
)
