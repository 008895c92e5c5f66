import { Array as Arr, DateTime, Effect, Option } from "effect"
import { DeliveryStatus } from "../domain/Delivery.js"
import type { Category } from "../domain/Event.js"
import { normalizeAddress } from "../domain/Event.js"
import type { Broadcast, Contact } from "../domain/Records.js"
import { optOutEntry } from "../domain/Records.js"
import { BroadcastRepository } from "../storage/BroadcastRepository.js"
import { ContactRepository } from "../storage/ContactRepository.js"
import type { DeliveredRecipient } from "../storage/DeliveryRepository.js"
import { DeliveryRepository } from "../storage/DeliveryRepository.js"
import { SuppressionRepository } from "../storage/SuppressionRepository.js"
import { Transactor } from "../storage/Transactor.js"
import type { BroadcastRecord } from "./Broadcasts.js"
import { Broadcasts, newBroadcastId } from "./Broadcasts.js"
import { decodeItems, InvalidInput } from "./Inputs.js"

export type Exclusion = "suppressed" | "optedOut" | "bounced" | "inactiveToken"

export interface RetryList {
  readonly broadcast: BroadcastRecord
  readonly included: number
  readonly excluded: { readonly [K in Exclusion]: number }
}

/**
 * Why a contact must not get the retry, if it must not: opted out of the channel (security mail
 * ignores opt-outs, as it ignores unsubscribes), bounced on it, or, for push, the token is inactive.
 * A push token's death is the token's, not the contact's other devices', so push looks at the token.
 */
export const contactExclusion = (
  contact: Contact,
  recipient: DeliveredRecipient,
  category: Category
): Exclusion | null => {
  const { channel } = recipient
  if (category !== "security" && (contact.optedOut.includes(channel) || contact.optedOut.includes(optOutEntry(channel, category)))) {
    return "optedOut"
  }
  if (channel === "push") {
    const token = normalizeAddress("push", recipient.recipient)
    return contact.pushTokens.some((t) => t.token === token && !t.active) ? "inactiveToken" : null
  }
  return contact.bouncedChannels.includes(channel) ? "bounced" : null
}

/** A new broadcast for the recipients of another's deliveries in some statuses, minus who must not be sent to now. */
export class RetryLists extends Effect.Service<RetryLists>()("Sendtrail/RetryLists", {
  effect: Effect.gen(function* () {
    const broadcasts = yield* Broadcasts
    const lists = yield* BroadcastRepository
    const deliveries = yield* DeliveryRepository
    const suppressions = yield* SuppressionRepository
    const contacts = yield* ContactRepository
    const transactor = yield* Transactor

    /** The contacts the pipeline may have recorded the recipient's state on: by the id it carried, and by address. */
    const contactsOf = (orgId: string, recipient: DeliveredRecipient) =>
      Effect.map(
        Effect.all([
          recipient.contactId === null ? Effect.succeedNone : contacts.findById(recipient.contactId),
          contacts.findByAddress(orgId, recipient.channel, recipient.recipient)
        ]),
        (found) => found.flatMap((c) => (Option.isSome(c) && c.value.orgId === orgId ? [c.value] : [])))

    const exclusionOf = (orgId: string, category: Category, suppressed: ReadonlySet<string>) => (recipient: DeliveredRecipient) =>
      suppressed.has(`${recipient.channel}|${normalizeAddress(recipient.channel, recipient.recipient)}`)
        ? Effect.succeed<Exclusion | null>("suppressed")
        : Effect.map(contactsOf(orgId, recipient), (found) =>
          found.map((c) => contactExclusion(c, recipient, category)).find((reason) => reason !== null) ?? null)

    const build = Effect.fn("RetryLists.build")(function* (orgId: string, broadcastId: string, raw: ReadonlyArray<unknown>) {
      const statuses = yield* decodeItems("statuses", DeliveryStatus, raw)
      if (statuses.length === 0) return yield* new InvalidInput({ message: "statuses: at least one status is needed" })
      const old = yield* broadcasts.owned(orgId, broadcastId)
      const candidates = yield* deliveries.recipientsWithStatus(orgId, broadcastId, statuses)

      const suppressed = new Set<string>()
      for (const channel of new Set(candidates.map((c) => c.channel))) {
        const found = yield* suppressions.check(orgId, channel, candidates.filter((c) => c.channel === channel).map((c) => c.recipient), old.category)
        for (const address of found.keys()) suppressed.add(`${channel}|${address}`)
      }
      const reasons = yield* Effect.forEach(candidates, exclusionOf(orgId, old.category, suppressed), { concurrency: 16 })
      const included = candidates.filter((_, i) => reasons[i] === null)

      const retry: Broadcast = {
        id: newBroadcastId(), orgId, name: `${old.name} (retry)`, category: old.category, channels: old.channels, createdAt: yield* DateTime.now
      }
      // In chunks: a list's rows are bind parameters, four each, and a statement takes at most 65,535.
      const chunks = Arr.chunksOf(included.map((r) => ({ channel: r.channel, address: r.recipient, contactId: r.contactId })), 5_000)
      yield* transactor.transaction(Effect.zipRight(
        lists.createRetry(retry, old.id),
        Effect.forEach(chunks, (chunk) => lists.addRecipients(retry.id, chunk), { discard: true })
      ))
      const excluded = (reason: Exclusion) => reasons.filter((r) => r === reason).length
      return {
        broadcast: { ...retry, retryOf: old.id },
        included: included.length,
        excluded: { suppressed: excluded("suppressed"), optedOut: excluded("optedOut"), bounced: excluded("bounced"), inactiveToken: excluded("inactiveToken") }
      } satisfies RetryList
    })

    return { build } as const
  }),
  dependencies: [Broadcasts.Default]
}) {}
