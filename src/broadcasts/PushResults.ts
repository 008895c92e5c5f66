import { DateTime, Effect } from "effect"
import type { NormalizedEvent } from "../domain/Event.js"
import { normalizeAddress } from "../domain/Event.js"
import { Inbox } from "../ingest/Inbox.js"
import { BroadcastRepository } from "../storage/BroadcastRepository.js"
import { ContactRepository } from "../storage/ContactRepository.js"
import { DeliveryRepository } from "../storage/DeliveryRepository.js"
import { Broadcasts } from "./Broadcasts.js"
import type { PushError } from "./Inputs.js"
import { decodeItems, InvalidInput, PushResultInput, withinLimit } from "./Inputs.js"
import type { PushOutcome } from "./PushErrors.js"
import { classify } from "./PushErrors.js"

/** The row a result is about: an app reports opens and taps against its id. */
export interface PushDelivery {
  readonly id: number
  readonly recipient: string
  readonly provider: "fcm" | "apns"
  readonly providerMessageId: string
  readonly outcome: PushOutcome
}

export interface PushSummary {
  readonly sent: number
  readonly bounced: number
  readonly failed: number
  /** Distinct tokens marked inactive by this call (or already inactive). */
  readonly inactiveTokens: number
  /** Events new to the inbox, and those it had already (a repeated call). */
  readonly accepted: number
  readonly duplicates: number
  /** One per result, in order; a repeated call, or a row registered before, answers the same ids. */
  readonly deliveries: ReadonlyArray<PushDelivery>
}

const reasonOf = (error: PushError) => (error.message ? `${error.code}: ${error.message}` : error.code)

/**
 * FCM and APNs answer at send time and post no webhooks, so the sender reports each result here.
 * Each becomes an event in the inbox (the pipeline applies status and effects as for any provider);
 * its id is stable per broadcast, token and outcome, so repeating a call changes nothing. Dead tokens
 * are marked inactive after the append: a crash in between is mended by repeating the call. The rows
 * are found or created after the append (as the pipeline would create them), so each result is
 * answered with its delivery id.
 */
export class PushResults extends Effect.Service<PushResults>()("Sendtrail/PushResults", {
  effect: Effect.gen(function* () {
    const broadcasts = yield* Broadcasts
    const lists = yield* BroadcastRepository
    const contacts = yield* ContactRepository
    const deliveries = yield* DeliveryRepository
    const inbox = yield* Inbox

    const record = Effect.fn("PushResults.record")(function* (orgId: string, broadcastId: string, raw: ReadonlyArray<unknown>) {
      yield* withinLimit("results", raw)
      const items = yield* decodeItems("results", PushResultInput, raw)
      const broadcast = yield* broadcasts.owned(orgId, broadcastId)
      if (!broadcast.channels.includes("push")) {
        return yield* new InvalidInput({ message: `results: the broadcast's channels (${broadcast.channels.join(", ")}) do not include push` })
      }
      const now = yield* DateTime.now
      const results = items.map((r) => ({ ...r, ...classify(r.provider, r.error), providerMessageId: r.messageId ?? `push-${broadcastId}-${r.recipient}` }))
      const events = results.map((r): NormalizedEvent => ({
        orgId,
        provider: r.provider,
        providerEventId: `push:${broadcastId}:${r.outcome}:${r.recipient}`,
        providerEventName: r.error?.code ?? "success",
        providerMessageId: r.providerMessageId,
        recipient: r.recipient,
        channel: "push",
        type: r.outcome,
        occurredAt: now,
        broadcastId,
        ...(r.contactId === undefined ? {} : { contactId: r.contactId }),
        details: {
          category: broadcast.category,
          ...(r.error === undefined ? {} : { errorCode: r.error.code, reason: reasonOf(r.error) }),
          ...(r.outcome === "bounced" ? { bounceKind: "hard" as const } : {})
        }
      }))
      yield* lists.addRecipients(broadcastId, [...new Map(results.map((r) =>
        [r.recipient, { channel: "push" as const, address: r.recipient, contactId: r.contactId ?? null }])).values()])
      const appended = yield* inbox.append(events)
      const rows = yield* deliveries.registerMany(results.map((r) => ({
        orgId, broadcastId, provider: r.provider, providerMessageId: r.providerMessageId, recipient: normalizeAddress("push", r.recipient),
        channel: "push" as const, status: "queued" as const, contactId: r.contactId ?? null, senderAccountId: null, cost: null, at: now, reached: false
      })))

      // The contact is ensured first, as the pipeline will ensure it: the token row then exists, and the
      // pipeline, finding it, leaves it inactive instead of creating it active.
      const dead = new Map(results.flatMap((r) => (r.deadToken ? [[r.recipient, r] as const] : [])))
      yield* Effect.forEach(dead.values(), (r) =>
        Effect.zipRight(
          contacts.ensure({ orgId, channel: "push", address: r.recipient, contactId: r.contactId ?? null }),
          contacts.deactivatePushToken(orgId, r.recipient, `${r.provider} ${r.error === undefined ? "" : reasonOf(r.error)}`)
        ), { discard: true })

      const count = (outcome: PushOutcome) => results.filter((r) => r.outcome === outcome).length
      return {
        sent: count("sent"),
        bounced: count("bounced"),
        failed: count("failed"),
        inactiveTokens: dead.size,
        accepted: appended.accepted,
        duplicates: appended.duplicates,
        deliveries: rows.map(({ delivery }, i) => {
          const { provider, providerMessageId, outcome } = results[i]!
          return { id: delivery.id, recipient: delivery.recipient, provider, providerMessageId, outcome }
        })
      } satisfies PushSummary
    })

    return { record } as const
  }),
  dependencies: [Broadcasts.Default]
}) {}
