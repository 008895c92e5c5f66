import { DateTime, Effect, Option } from "effect"
import { hourOf } from "../domain/Projection.js"
import { AppConfig } from "../AppConfig.js"
import type { Cost, DeliveryStatus } from "../domain/Delivery.js"
import type { Channel } from "../domain/Event.js"
import { normalizeAddress } from "../domain/Event.js"
import { BroadcastRepository } from "../storage/BroadcastRepository.js"
import type { NewDelivery, Registered } from "../storage/DeliveryRepository.js"
import { DeliveryRepository } from "../storage/DeliveryRepository.js"
import { RegistrationEvents } from "../storage/RegistrationEvents.js"
import { RollupRepository } from "../storage/RollupRepository.js"
import { SenderAccountRepository } from "../storage/SenderAccountRepository.js"
import { Transactor } from "../storage/Transactor.js"
import { Broadcasts } from "./Broadcasts.js"
import { decodeItems, DeliveryInput, InvalidInput, withinLimit } from "./Inputs.js"

export interface RegisteredDelivery {
  readonly id: number
  readonly recipient: string
  readonly channel: Channel
  readonly providerMessageId: string | null
  readonly status: DeliveryStatus
}

export interface Registration {
  readonly created: number
  readonly existing: number
  readonly deliveries: ReadonlyArray<RegisteredDelivery>
}

/**
 * Send-time registration of a broadcast's deliveries: one transaction creates the rows that are new
 * (a row registered as `sent` has reached that milestone, so a later provider "sent" or "delivered"
 * does not count the send again, and its chronology starts with a `sent` entry that a provider's own
 * replaces), lists the recipients, and counts the rollups and the sender accounts.
 */
export class Registrations extends Effect.Service<Registrations>()("Sendtrail/Registrations", {
  effect: Effect.gen(function* () {
    const broadcasts = yield* Broadcasts
    const lists = yield* BroadcastRepository
    const deliveries = yield* DeliveryRepository
    const rollups = yield* RollupRepository
    const senders = yield* SenderAccountRepository
    const registrationEvents = yield* RegistrationEvents
    const { senderPolicy } = yield* AppConfig
    const transactor = yield* Transactor

    /** Sender account ids are global: one that another org counts on is refused, never counted into. */
    const checkSenders = (orgId: string, items: ReadonlyArray<DeliveryInput>) =>
      Effect.forEach(new Set(items.flatMap((d) => d.senderAccountId ?? [])), (id) =>
        Effect.flatMap(senders.findById(id), (account) => {
          const index = items.findIndex((d) => d.senderAccountId === id)
          return Option.isSome(account) && account.value.orgId !== orgId
            ? Effect.fail(new InvalidInput({ message: `deliveries[${index}].senderAccountId: '${id}' is not a sender account of this organisation` }))
            : Effect.void
        }), { discard: true })

    /**
     * The rows whose cost this registration sets, each once: those it created with one, and those found
     * without one (a provider's event created them first, or an earlier call gave none), given the cost
     * of the first input naming them.
     */
    const costed = (registered: ReadonlyArray<Registered>, rows: ReadonlyArray<NewDelivery>) =>
      Effect.gen(function* () {
        const created = registered.flatMap(({ delivery: d, created }) =>
          created && d.cost !== null ? [{ orgId: d.orgId, broadcastId: d.broadcastId, channel: d.channel, unit: d.cost.unit, value: String(d.cost.value) }] : [])
        const missing = new Map<number, Cost>()
        registered.forEach(({ delivery: d }, i) => {
          const cost = rows[i]!.cost
          if (d.cost === null && cost !== null && !missing.has(d.id)) missing.set(d.id, cost)
        })
        const set = yield* deliveries.setMissingCosts([...missing].map(([id, cost]) => ({ id, cost })))
        return [...created, ...set]
      })

    const register = Effect.fn("Registrations.register")(function* (orgId: string, broadcastId: string, raw: ReadonlyArray<unknown>) {
      yield* withinLimit("deliveries", raw)
      const items = yield* decodeItems("deliveries", DeliveryInput, raw)
      const broadcast = yield* broadcasts.owned(orgId, broadcastId)
      const offChannel = items.findIndex((d) => !broadcast.channels.includes(d.channel))
      if (offChannel >= 0) {
        return yield* new InvalidInput({
          message: `deliveries[${offChannel}].channel: '${items[offChannel]!.channel}' is not one of the broadcast's channels (${broadcast.channels.join(", ")})`
        })
      }
      yield* checkSenders(orgId, items)
      const at = yield* DateTime.now
      const rows = items.map((d): NewDelivery => ({
        orgId, broadcastId, provider: d.provider, providerMessageId: d.providerMessageId,
        recipient: normalizeAddress(d.channel, d.recipient), channel: d.channel, status: d.status,
        contactId: d.contactId ?? null, senderAccountId: d.senderAccountId ?? null, cost: d.cost ?? null, at, reached: true
      }))

      const registered = yield* transactor.transaction(Effect.gen(function* () {
        const registered = yield* deliveries.registerMany(rows)
        yield* lists.addRecipients(broadcastId, distinctRecipients(rows))
        const sent = registered.filter((r) => r.created && r.delivery.status === "sent").map((r) => r.delivery)
        yield* registrationEvents.recordSent(sent, at)
        // Rollups, then sender accounts, each in key order: the pipeline takes these row locks in the
        // same order, so a registration and a batch wait for each other instead of deadlocking.
        const day = DateTime.formatIsoDateUtc(at)
        yield* rollups.incrementMany([...countBy(sent.map((d) => d.channel))].map(([channel, n]) => ({ orgId, broadcastId, channel, day, hour: hourOf(at), counters: { sent: n } })))
        yield* rollups.addCosts((yield* costed(registered, rows)).map((d) => ({ ...d, day })))
        const bySender = countBy(sent.flatMap((d) => d.senderAccountId ?? []))
        yield* senders.addCounts([...bySender].map(([id, n]) => ({ id, orgId, sent: n, delivered: 0, bounced: 0, complained: 0 })), at, senderPolicy)
        return registered
      }))

      const created = registered.filter((r) => r.created).length
      return {
        created,
        existing: registered.length - created,
        deliveries: registered.map(({ delivery: d }) => ({
          id: d.id, recipient: d.recipient, channel: d.channel, providerMessageId: d.providerMessageId, status: d.status
        }))
      } satisfies Registration
    })

    return { register } as const
  }),
  dependencies: [Broadcasts.Default]
}) {}

const distinctRecipients = (rows: ReadonlyArray<NewDelivery>) => {
  const seen = new Map<string, { channel: Channel; address: string; contactId: string | null }>()
  for (const r of rows) {
    const key = `${r.channel}|${r.recipient}`
    if (!seen.has(key)) seen.set(key, { channel: r.channel, address: r.recipient, contactId: r.contactId })
  }
  return [...seen.values()]
}

const countBy = <K>(keys: ReadonlyArray<K>) => {
  const counts = new Map<K, number>()
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1)
  return counts
}
