import { DateTime, Effect, Layer, Option, Ref } from "effect"
import type { Delivery, DeliveryEvent } from "../../domain/Delivery.js"
import { eventKey, normalizeAddress } from "../../domain/Event.js"
import type { DeliveredRecipient, DeliveryKey, NewDelivery, Registered } from "../DeliveryRepository.js"
import { DeliveryRepository } from "../DeliveryRepository.js"

interface Tables {
  readonly deliveries: ReadonlyMap<number, Delivery>
  readonly events: ReadonlyMap<string, DeliveryEvent>
  readonly nextId: number
}

const sameKey = (delivery: Delivery, key: DeliveryKey) =>
  delivery.orgId === key.orgId && delivery.provider === key.provider &&
  delivery.providerMessageId === key.providerMessageId && delivery.recipient === key.recipient

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** The row for the input's key, created (with its milestone when reached) if there is none. */
const acquireIn = (t: Tables, input: NewDelivery): readonly [Delivery, Tables] => {
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
}

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
      findForRecipient: (orgId, broadcastId, channel, recipient) =>
        Effect.map(Ref.get(tables), (t) =>
          Option.fromNullable([...t.deliveries.values()]
            .filter((d) => d.orgId === orgId && d.broadcastId === broadcastId && d.channel === channel && d.recipient === normalizeAddress(channel, recipient))
            .sort((a, b) => b.id - a.id)[0])),
      lockById: (id) => Effect.map(Ref.get(tables), (t) => Option.fromNullable(t.deliveries.get(id))),
      acquire: (input) => Ref.modify(tables, (t) => acquireIn(t, input)),
      registerMany: (inputs) =>
        Ref.modify(tables, (t) => {
          let next = t
          const registered = inputs.map((input): Registered => {
            const before = next.nextId
            const [delivery, after] = acquireIn(next, input)
            next = after
            return { delivery, created: after.nextId !== before }
          })
          return [registered, next]
        }),
      recipientsWithStatus: (orgId, broadcastId, statuses) =>
        Effect.map(Ref.get(tables), (t) => {
          const found = new Map<string, DeliveredRecipient>()
          for (const d of t.deliveries.values()) {
            if (d.orgId !== orgId || d.broadcastId !== broadcastId || !statuses.includes(d.status)) continue
            const key = `${d.channel}|${d.recipient}`
            const contactId = [found.get(key)?.contactId ?? null, d.contactId].filter((c) => c !== null).sort()[0] ?? null
            found.set(key, { channel: d.channel, recipient: d.recipient, contactId })
          }
          return [...found.values()].sort((a, b) => compare(a.channel, b.channel) || compare(a.recipient, b.recipient))
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
