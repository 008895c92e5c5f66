import { DateTime, Duration, Effect, Option } from "effect"
import type { Channel, NormalizedEvent } from "../domain/Event.js"
import { eventKey, normalizeAddress } from "../domain/Event.js"
import type { SideEffect } from "../domain/Lifecycle.js"
import { apply, hardBounceEffects, isSoftBounce } from "../domain/Lifecycle.js"
import type { Contact } from "../domain/Records.js"
import { optOutEntry } from "../domain/Records.js"
import { rollupDelta } from "../domain/RollupDelta.js"
import { AppConfig } from "../AppConfig.js"
import { EventFeed } from "../metrics/EventFeed.js"
import { ActivityRepository } from "../storage/ActivityRepository.js"
import { BroadcastRepository } from "../storage/BroadcastRepository.js"
import { ContactRepository } from "../storage/ContactRepository.js"
import type { Delivery } from "../domain/Delivery.js"
import { DeliveryRepository } from "../storage/DeliveryRepository.js"
import { RollupRepository } from "../storage/RollupRepository.js"
import { SenderAccountRepository } from "../storage/SenderAccountRepository.js"
import { SuppressionRepository } from "../storage/SuppressionRepository.js"
import { Transactor } from "../storage/Transactor.js"
import * as KeyedActors from "./KeyedActors.js"

export interface Outcome {
  /** False when the event had been applied before (a provider's retry): nothing changed. */
  readonly applied: boolean
  /** The sender account now owed counts, for its actor to settle. */
  readonly senderAccountId: string | null
}

/** Actors are keyed by contact address: every event about one recipient on one channel is applied in order. */
export const contactKey = (event: Pick<NormalizedEvent, "orgId" | "channel" | "recipient">): string =>
  `${event.orgId}|${event.channel}|${normalizeAddress(event.channel, event.recipient)}`

const addressOn = (contact: Contact, channel: Channel): string | null => {
  switch (channel) {
    case "email": return contact.email
    case "sms": return contact.phone
    case "whatsapp": return contact.whatsapp
    case "push": return null
  }
}

const makeApply = Effect.gen(function* () {
  const transactor = yield* Transactor
  const deliveries = yield* DeliveryRepository
  const contacts = yield* ContactRepository
  const suppressions = yield* SuppressionRepository
  const activities = yield* ActivityRepository
  const senders = yield* SenderAccountRepository
  const rollups = yield* RollupRepository
  const broadcasts = yield* BroadcastRepository
  const { softBounceEscalation } = yield* AppConfig

  const carryOut = (event: NormalizedEvent, delivery: Delivery, implied: ReadonlyArray<SideEffect>, escalation: number, now: DateTime.Utc) =>
    Effect.gen(function* () {
      const contact = yield* contacts.ensure({
        orgId: event.orgId, channel: event.channel, address: event.recipient, contactId: delivery.contactId ?? event.contactId ?? null
      })
      const source = eventKey(event)
      const escalated = escalation > 0 && !contact.bouncedChannels.includes(event.channel)
        ? hardBounceEffects(event.channel, `${escalation} soft bounces in a row since the last delivery`)
        : []
      for (const effect of [...implied, ...escalated]) {
        switch (effect._tag) {
          case "Suppress":
            for (const channel of effect.channels) {
              const address = channel === event.channel ? event.recipient : addressOn(contact, channel)
              if (address === null) continue
              yield* suppressions.add({
                orgId: event.orgId, channel, address, category: effect.category ?? null, reason: effect.reason,
                source: `${event.provider}:${event.type}`, metadata: { eventKey: source, deliveryId: delivery.id }
              })
            }
            break
          case "MarkBounced":
            yield* contacts.markBounced(contact.id, effect.channel)
            break
          case "OptOut":
            yield* contacts.optOut(contact.id, effect.channels.map((channel) => optOutEntry(channel, effect.category)))
            break
          case "RecordActivity":
            yield* activities.record({
              orgId: event.orgId, contactId: contact.id, deliveryId: delivery.id, kind: effect.kind, title: effect.title,
              reason: effect.reason ?? null, sourceKey: source, occurredAt: event.occurredAt
            })
            break
          case "RemoveFromBroadcast":
            if (delivery.broadcastId !== null) {
              yield* broadcasts.removeRecipient(delivery.broadcastId, event.channel, event.recipient, event.type, now)
            }
            break
          case "Audit":
            yield* activities.audit({
              orgId: event.orgId, actor: `provider:${event.provider}`, action: effect.action,
              subject: `${event.channel}:${event.recipient}`,
              details: {
                deliveryId: delivery.id, broadcastId: delivery.broadcastId, category: event.details.category ?? null,
                ip: event.details.ip ?? null, userAgent: event.details.userAgent ?? null
              },
              sourceKey: source
            })
            break
          case "CountForSender":
            break
        }
      }
    })

  /** Soft bounces in a row since the address's last delivery, once they reach the threshold; else 0. */
  const softBounceStreak = (event: NormalizedEvent) =>
    isSoftBounce(event)
      ? Effect.map(deliveries.softBouncesSinceDelivery(event.orgId, event.channel, event.recipient), (n) => (n >= softBounceEscalation ? n : 0))
      : Effect.succeed(0)

  /** Was this open or click the delivery's first one not flagged as a machine's? */
  const firstByHuman = (deliveryId: number, event: NormalizedEvent) =>
    (event.type !== "opened" && event.type !== "clicked") || event.details.machine === true
      ? Effect.succeed(false)
      : Effect.map(deliveries.events(deliveryId), (events) =>
        !events.some((e) => e.type === event.type && e.details.machine !== true && e.providerEventId !== event.providerEventId))

  /**
   * One transaction per event: find or create the row (locked), record the event (unique on its
   * provider key, which is the dedupe), apply the lifecycle, carry out its effects, count the rollups
   * and what the sender account is owed. A retry of the same event stops at the event insert.
   * Rollup deltas and sender counts are appended, not added in place: no event waits on a hot row.
   */
  return (event: NormalizedEvent): Effect.Effect<Outcome> =>
    transactor.transactionBehindInbox(Effect.gen(function* () {
      const now = yield* DateTime.now
      const recipient = normalizeAddress(event.channel, event.recipient)
      const delivery = event.deliveryId === undefined
        ? yield* deliveries.acquire({
          orgId: event.orgId, provider: event.provider, providerMessageId: event.providerMessageId, recipient,
          broadcastId: event.broadcastId ?? null, contactId: event.contactId ?? null, channel: event.channel,
          status: "queued", senderAccountId: event.senderAccountId ?? null, cost: null, at: now, reached: false
        })
        : yield* Effect.flatMap(deliveries.lockById(event.deliveryId), Option.match({
          // A tracking token names a delivery of its org; anything else is a defect to dead-letter.
          onNone: () => Effect.dieMessage(`tracking event for delivery ${event.deliveryId}, which does not exist`),
          onSome: (found) => found.orgId === event.orgId ? Effect.succeed(found) : Effect.dieMessage(`delivery ${found.id} is not org ${event.orgId}'s`)
        }))
      if (!(yield* deliveries.appendEvent(delivery.id, event))) return { applied: false, senderAccountId: null }
      const result = apply({ ...delivery, seen: new Set() }, event)
      yield* deliveries.saveState(delivery.id, result.state, now)
      const effects = result.effects.filter((e) => e._tag !== "CountForSender")
      const escalation = yield* softBounceStreak({ ...event, recipient })
      if (effects.length > 0 || escalation > 0) yield* carryOut({ ...event, recipient }, delivery, effects, escalation, now)
      const delta = rollupDelta(event, result, yield* firstByHuman(delivery.id, event))
      if (Object.keys(delta).length > 0) {
        yield* rollups.defer({ orgId: event.orgId, broadcastId: delivery.broadcastId, channel: event.channel, day: event.occurredAt, counters: delta })
      }
      const senderAccountId = delivery.senderAccountId ?? event.senderAccountId ?? null
      const owed = result.effects.flatMap((e) => e._tag === "CountForSender" ? [e.metric] : [])
      if (senderAccountId === null || owed.length === 0) return { applied: true, senderAccountId: null }
      yield* senders.owe(owed.map((metric) => ({ deliveryId: delivery.id, metric, senderAccountId, orgId: event.orgId })))
      return { applied: true, senderAccountId }
    }))
})

export interface ContactActorOptions {
  readonly maxActors: number
  readonly mailboxCapacity: number
  readonly idleTimeToLive: Duration.DurationInput
}

export const defaultOptions: ContactActorOptions = { maxActors: 10_000, mailboxCapacity: 256, idleTimeToLive: Duration.seconds(30) }

/** The actor per contact address that applies provider events to deliveries, contacts and suppressions. */
export class ContactActor extends Effect.Service<ContactActor>()("Sendtrail/ContactActor", {
  scoped: Effect.gen(function* () {
    const applyEvent = yield* makeApply
    // Live subscribers (GET /events/stream) hear of each event once it is committed; publishing never waits.
    const feed = yield* Effect.serviceOption(EventFeed)
    const publish = (event: NormalizedEvent, outcome: Outcome) =>
      outcome.applied && Option.isSome(feed) ? feed.value.publish(event) : Effect.void
    const actors = yield* KeyedActors.make<void, NormalizedEvent, Outcome, never>(
      { name: "contact", ...defaultOptions },
      {
        load: () => Effect.void,
        handle: (state, event) =>
          Effect.flatMap(applyEvent(event), (outcome) => Effect.as(publish(event, outcome), [outcome, state] as const))
      }
    )
    return {
      apply: (event: NormalizedEvent) => actors.ask(contactKey(event), event),
      liveActors: actors.liveActors
    } as const
  })
}) {}
