import { DateTime, FastCheck as fc } from "effect"
import type { Channel, EventType, NormalizedEvent } from "../../src/domain/Event.js"
import { EventType as EventTypeSchema } from "../../src/domain/Event.js"

const base = DateTime.unsafeMake("2026-01-01T00:00:00Z")

export const makeEvent = (overrides: Partial<NormalizedEvent> & { readonly type: EventType }): NormalizedEvent => ({
  orgId: "org-1",
  provider: "generic",
  providerEventId: `${overrides.type}-${Math.random().toString(36).slice(2)}`,
  providerMessageId: "msg-1",
  recipient: "ada@example.com",
  channel: "email",
  occurredAt: base,
  details: {},
  ...overrides
})

/** Events for one delivery, each with a distinct id; times collide on purpose to exercise tie-breaks. */
export const arbitraryEventsForOneDelivery = (options: {
  readonly recipient?: string
  readonly providerMessageId?: string
  readonly channel?: Channel
  readonly maxLength?: number
} = {}) =>
  fc.uniqueArray(
    fc.record({
      id: fc.integer({ min: 0, max: 10_000 }),
      type: fc.constantFrom(...EventTypeSchema.literals),
      minute: fc.integer({ min: 0, max: 20 }),
      bounceKind: fc.constantFrom(undefined, "hard" as const, "soft" as const),
      reason: fc.constantFrom(undefined, "mailbox full", "no such user"),
      errorCode: fc.constantFrom(undefined, "21610", "30003", "30005")
    }),
    { selector: (r) => r.id, minLength: 1, maxLength: options.maxLength ?? 12 }
  ).map((records) =>
    records.map((r): NormalizedEvent => ({
      orgId: "org-1",
      provider: "generic",
      providerEventId: `evt-${r.id}`,
      providerMessageId: options.providerMessageId ?? "msg-1",
      recipient: options.recipient ?? "ada@example.com",
      channel: options.channel ?? "email",
      type: r.type,
      occurredAt: DateTime.add(base, { minutes: r.minute }),
      details: {
        ...(r.bounceKind === undefined ? {} : { bounceKind: r.bounceKind }),
        ...(r.reason === undefined ? {} : { reason: r.reason }),
        ...(r.errorCode === undefined ? {} : { errorCode: r.errorCode })
      }
    }))
  )

/** A shuffle of the events with some of them repeated (a provider retrying). */
export const arbitraryRedelivery = <A>(events: ReadonlyArray<A>) =>
  fc.tuple(
    fc.shuffledSubarray([...events], { minLength: events.length, maxLength: events.length }),
    fc.array(fc.integer({ min: 0, max: Math.max(0, events.length - 1) }), { maxLength: events.length })
  ).chain(([shuffled, repeats]) => {
    const withRepeats = [...shuffled, ...repeats.map((i) => events[i]!)]
    return fc.shuffledSubarray(withRepeats, { minLength: withRepeats.length, maxLength: withRepeats.length })
  })
