import * as SqlClient from "@effect/sql/SqlClient"
import { Data, DateTime, Effect, Either, Option } from "effect"
import type { Category, Channel } from "../domain/Event.js"
import { channelLabel, normalizeAddress } from "../domain/Event.js"
import type { SuppressionReason } from "../domain/Records.js"
import type { InboundReply } from "../domain/Reply.js"
import { ActivityRepository } from "../storage/ActivityRepository.js"
import { ContactRepository } from "../storage/ContactRepository.js"
import { SuppressionRepository } from "../storage/SuppressionRepository.js"
import { Transactor } from "../storage/Transactor.js"
import * as Outbox from "../notifications/Outbox.js"
import { checkAddress } from "./Addresses.js"

export class InvalidAddress extends Data.TaggedError("InvalidAddress")<{ readonly message: string }> {}

export interface AddSuppression {
  readonly channel: Channel
  readonly address: string
  readonly reason: SuppressionReason
  readonly category: Category | null
  readonly note: string | undefined
}

/** "+1 555 0100" finds the suppression of "+15550100", as an import or an admin addition stores it. */
const canonical = (channel: Channel, address: string) =>
  Either.getOrElse(checkAddress(channel, address), () => normalizeAddress(channel, address))

/** The source of suppressions a recipient's own STOP reply set: the only ones their START lifts. */
const replySource = "reply"

/**
 * The org's suppression list as its users see it: bulk checks before a send, and admin additions and
 * overrides, each written to the audit log and, when the address is a known contact's, its timeline.
 */
export class SuppressionList extends Effect.Service<SuppressionList>()("Sendtrail/SuppressionList", {
  effect: Effect.gen(function* () {
    const suppressions = yield* SuppressionRepository
    const contacts = yield* ContactRepository
    const activities = yield* ActivityRepository
    const { transaction } = yield* Transactor
    const sql = yield* SqlClient.SqlClient

    /** contact.suppressed for a suppression this transaction created (the outbox, in the same transaction). */
    const notifySuppressed = (orgId: string, channel: Channel, address: string, category: Category | null, reason: SuppressionReason, source: string, sourceKey: string) =>
      Effect.flatMap(DateTime.now, (at) =>
        Outbox.enqueueAll(sql, [Outbox.fromSuppression({ orgId, channel, address, category, reason, source, sourceKey: `suppressed:${sourceKey}`, occurredAt: at })]))
        .pipe(Effect.orDie)

    /** Every address answered once, in the order given and as given; one query whatever the count. */
    const check = Effect.fn("SuppressionList.check")(
      function* (orgId: string, channel: Channel, addresses: ReadonlyArray<string>, category: Category | undefined) {
        const keys = addresses.map((address) => canonical(channel, address))
        const found = yield* suppressions.check(orgId, channel, keys, category)
        const allowed: Array<string> = []
        const suppressed: Array<{ address: string; reason: SuppressionReason; category: Category | null; createdAt: DateTime.Utc }> = []
        for (const [i, address] of addresses.entries()) {
          const hit = found.get(keys[i]!)
          if (hit === undefined) allowed.push(address)
          else suppressed.push({ address, reason: hit.reason, category: hit.category, createdAt: hit.createdAt })
        }
        return { allowed, suppressed }
      }
    )

    const onTimeline = (orgId: string, channel: Channel, address: string, kind: string, title: string, reason: string | null, sourceKey = `api:${crypto.randomUUID()}`) =>
      Effect.gen(function* () {
        const contact = yield* contacts.findByAddress(orgId, channel, address)
        if (Option.isNone(contact)) return
        yield* activities.record({
          orgId, contactId: contact.value.id, deliveryId: null, kind, title, reason,
          sourceKey, occurredAt: yield* DateTime.now
        })
      })

    /** An existing suppression of the same key keeps its first reason: `created` is false then. */
    const add = Effect.fn("SuppressionList.add")(function* (orgId: string, actor: string, input: AddSuppression) {
      const address = yield* Either.mapLeft(checkAddress(input.channel, input.address), (message) => new InvalidAddress({ message: `address: ${message}` }))
      return yield* transaction(Effect.gen(function* () {
        const created = yield* suppressions.add({
          orgId, channel: input.channel, address, category: input.category, reason: input.reason, source: "api",
          metadata: { actor, ...(input.note === undefined ? {} : { note: input.note }) }
        })
        if (created) {
          yield* notifySuppressed(orgId, input.channel, address, input.category, input.reason, "api", `api:${crypto.randomUUID()}`)
          yield* activities.audit({
            orgId, actor, action: "suppression.added", subject: `${input.channel}:${address}`,
            details: { reason: input.reason, category: input.category, note: input.note ?? null }, sourceKey: null
          })
          yield* onTimeline(orgId, input.channel, address, "suppressed", `${channelLabel[input.channel]} suppressed by ${actor}`, input.note ?? input.reason)
        }
        const suppression = yield* Effect.map(suppressions.find(orgId, input.channel, address, input.category), Option.getOrThrow)
        return { created, suppression }
      }))
    })

    /** Lifts every suppression of the address on the channel; the count lifted (0: there was none). */
    const lift = Effect.fn("SuppressionList.lift")(
      function* (orgId: string, actor: string, channel: Channel, address: string, reason: string) {
        const normalized = canonical(channel, address)
        return yield* transaction(Effect.gen(function* () {
          const removed = yield* suppressions.remove(orgId, channel, normalized)
          if (removed === 0) return 0
          yield* activities.audit({
            orgId, actor, action: "suppression.lifted", subject: `${channel}:${normalized}`, details: { reason, removed }, sourceKey: null
          })
          yield* onTimeline(orgId, channel, normalized, "suppression_lifted", `${channelLabel[channel]} suppression lifted by ${actor}`, reason)
          return removed
        }))
      }
    )

    /**
     * A recipient's reply to one of the org's numbers or bots: STOP suppresses the channel (source
     * `reply`), START lifts only what a STOP reply set (never a complaint, a bounce or an operator's
     * entry), anything else is kept on the contact's timeline. The writer becomes a contact if they were
     * not one. Replaying the same message changes nothing. True when it changed the list.
     */
    const reply = Effect.fn("SuppressionList.reply")(function* (orgId: string, message: InboundReply) {
      const { channel, address, messageId, body, sourceKey } = message
      const label = channelLabel[channel]
      const details = { source: replySource, messageId, body }
      const audit = (action: string) => activities.audit({ orgId, actor: "recipient", action, subject: `${channel}:${address}`, details, sourceKey })
      return yield* transaction(Effect.gen(function* () {
        // ensureMany, not ensure: a new contact also takes the deliveries already sent to the address.
        yield* contacts.ensureMany([{ orgId, channel, address, contactHint: null }])
        switch (message.intent) {
          case "stop": {
            const created = yield* suppressions.add({
              orgId, channel, address, category: null, reason: "unsubscribe", source: replySource, metadata: { messageId, body }
            })
            if (created) {
              yield* notifySuppressed(orgId, channel, address, null, "unsubscribe", replySource, sourceKey)
              yield* audit("suppression.added")
              yield* onTimeline(orgId, channel, address, "unsubscribed", `${label} opt-out reply`, body, sourceKey)
            }
            return created
          }
          case "start": {
            const lifted = (yield* suppressions.removeFromSource(orgId, channel, address, replySource)) > 0
            if (lifted) {
              yield* audit("suppression.lifted")
              yield* onTimeline(orgId, channel, address, "resubscribed", `${label} opt-in reply`, body, sourceKey)
            }
            return lifted
          }
          case "other":
            yield* onTimeline(orgId, channel, address, "replied", `${label} reply`, body.slice(0, 1000), sourceKey)
            return false
        }
      }))
    })

    return { check, add, lift, reply } as const
  })
}) {}
