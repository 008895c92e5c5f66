import { describe, expect, layer } from "@effect/vitest"
import { DateTime, Effect, Option } from "effect"
import * as SqlClient from "@effect/sql/SqlClient"
import { Inbox } from "../../src/ingest/Inbox.js"
import { Pipeline } from "../../src/ingest/Pipeline.js"
import { ActivityRepository } from "../../src/storage/ActivityRepository.js"
import { ContactRepository } from "../../src/storage/ContactRepository.js"
import { DeadLetterRepository } from "../../src/storage/DeadLetterRepository.js"
import { DeliveryRepository } from "../../src/storage/DeliveryRepository.js"
import { InboxRepository } from "../../src/storage/InboxRepository.js"
import { RollupRepository } from "../../src/storage/RollupRepository.js"
import { SenderAccountRepository } from "../../src/storage/SenderAccountRepository.js"
import { SuppressionRepository } from "../../src/storage/SuppressionRepository.js"
import { makeEvent } from "../support/events.js"
import { sqlBackends } from "../support/databases.js"
import { ingestSql } from "../support/ingest.js"

const day = DateTime.unsafeMake("2026-02-10T09:00:00Z")

const backend = sqlBackends[0]!

/** A failed row waits for its retry (1 s); drain until the check passes rather than for a fixed time. */
const eventually = <A>(check: Effect.Effect<A>, accept: (a: A) => boolean) =>
  Effect.gen(function* () {
    for (let i = 0; i < 200; i++) {
      const value = yield* check
      if (accept(value)) return value
      yield* Effect.sleep("10 millis")
    }
    return yield* check
  })

describe("pipeline", () => {
  layer(ingestSql(backend), { excludeTestServices: true })((it) => {
    it.effect("an event in the inbox is applied to the delivery, the contact, suppressions, activities, rollups and the sender", () =>
      Effect.gen(function* () {
        const inbox = yield* Inbox
        const pipeline = yield* Pipeline
        const base = { orgId: "org-p1", providerMessageId: "m-p1", recipient: "ada@example.com", senderAccountId: "sender-p1", occurredAt: day }
        const result = yield* inbox.append([
          makeEvent({ ...base, type: "sent", providerEventId: "p1-sent" }),
          makeEvent({ ...base, type: "bounced", providerEventId: "p1-bounce", details: { reason: "no such user" }, occurredAt: DateTime.add(day, { minutes: 1 }) })
        ])
        expect(result).toEqual({ accepted: 2, duplicates: 0 })
        expect(yield* inbox.append([makeEvent({ ...base, type: "sent", providerEventId: "p1-sent" })])).toEqual({ accepted: 0, duplicates: 1 })
        yield* pipeline.drain

        const delivery = Option.getOrThrow(yield* (yield* DeliveryRepository).findByProviderMessage({ ...base, provider: "generic" }))
        expect(delivery).toMatchObject({ status: "bounced", errorReason: "no such user", senderAccountId: "sender-p1" })
        expect((yield* (yield* DeliveryRepository).events(delivery.id)).map((e) => e.type)).toEqual(["sent", "bounced"])
        const contact = Option.getOrThrow(yield* (yield* ContactRepository).findByAddress("org-p1", "email", "ada@example.com"))
        expect(contact.bouncedChannels).toEqual(["email"])
        const suppressed = yield* (yield* SuppressionRepository).check("org-p1", "email", ["ada@example.com"])
        expect(suppressed.get("ada@example.com")?.reason).toBe("bounce")
        expect((yield* (yield* ActivityRepository).forContact(contact.id, 10)).map((a) => a.title)).toEqual(["Email bounced"])
        const daily = yield* (yield* RollupRepository).daily("org-p1", day, day)
        expect(daily[0]?.counters).toMatchObject({ sent: 1, bounced: 1 })
        const sender = yield* (yield* SenderAccountRepository).findById("sender-p1")
        expect(Option.map(sender, (s) => [s.sent, s.bounced])).toEqual(Option.some([1, 1]))
        expect((yield* (yield* InboxRepository).backlog()).pending).toBe(0)
      }))
  })

  layer(ingestSql(backend, { SOFT_BOUNCE_ESCALATION: "3" }), { excludeTestServices: true })((it) => {
    const soft = (org: string, n: number, minutes: number, type: "soft_bounced" | "delivered" = "soft_bounced") =>
      makeEvent({ orgId: org, type, providerMessageId: `m-${n}`, providerEventId: `${org}-${n}`, recipient: "sam@example.com", occurredAt: DateTime.add(day, { minutes }) })
    const suppressed = (org: string) =>
      Effect.flatMap(SuppressionRepository, (repo) => Effect.map(repo.check(org, "email", ["sam@example.com"]), (found) => found.size > 0))

    it.effect("three soft bounces in a row since the last delivery suppress the address like a hard bounce", () =>
      Effect.gen(function* () {
        const inbox = yield* Inbox
        const pipeline = yield* Pipeline
        yield* inbox.append([soft("org-s1", 1, 1), soft("org-s1", 2, 2)])
        yield* pipeline.drain
        expect(yield* suppressed("org-s1")).toBe(false)
        yield* inbox.append([soft("org-s1", 3, 3)])
        yield* pipeline.drain
        expect(yield* suppressed("org-s1")).toBe(true)
        const contact = Option.getOrThrow(yield* (yield* ContactRepository).findByAddress("org-s1", "email", "sam@example.com"))
        expect(contact.bouncedChannels).toEqual(["email"])
        expect((yield* (yield* ActivityRepository).forContact(contact.id, 10)).map((a) => a.reason)).toEqual(["3 soft bounces in a row since the last delivery"])
      }))

    it.effect("a delivery between soft bounces starts the count again", () =>
      Effect.gen(function* () {
        const inbox = yield* Inbox
        yield* inbox.append([soft("org-s2", 1, 1), soft("org-s2", 2, 2), soft("org-s2", 3, 3, "delivered"), soft("org-s2", 4, 4)])
        yield* (yield* Pipeline).drain
        expect(yield* suppressed("org-s2")).toBe(false)
      }))

    it.effect("a policy rejection (5.7.x) counts against the sender but leaves the recipient reachable", () =>
      Effect.gen(function* () {
        const inbox = yield* Inbox
        yield* inbox.append([
          makeEvent({ orgId: "org-pol", type: "sent", providerEventId: "pol-sent", recipient: "sam@example.com", senderAccountId: "sender-pol" }),
          makeEvent({ orgId: "org-pol", type: "bounced", providerEventId: "pol-bounce", recipient: "sam@example.com", senderAccountId: "sender-pol", details: { enhancedStatus: "5.7.1", reason: "550 5.7.1 blocked by policy" } })
        ])
        yield* (yield* Pipeline).drain
        expect(yield* suppressed("org-pol")).toBe(false)
        const delivery = Option.getOrThrow(yield* (yield* DeliveryRepository).findByProviderMessage({ orgId: "org-pol", provider: "generic", providerMessageId: "msg-1", recipient: "sam@example.com" }))
        expect(delivery.status).toBe("bounced")
        const sender = yield* (yield* SenderAccountRepository).findById("sender-pol")
        expect(Option.map(sender, (a) => a.bounced)).toEqual(Option.some(1))
      }))
  })

  layer(ingestSql(backend), { excludeTestServices: true })((it) => {
    it.effect("an event naming no delivery of its org is retried after a backoff and dead-lettered after the last attempt; others go on", () =>
      Effect.gen(function* () {
        const inbox = yield* Inbox
        const pipeline = yield* Pipeline
        yield* inbox.append([
          makeEvent({ orgId: "org-p2", type: "opened", deliveryId: 987_654_321, providerEventId: "p2-boom" }),
          makeEvent({ orgId: "org-p2", type: "delivered", recipient: "fine@example.com", providerEventId: "p2-fine" })
        ])
        yield* pipeline.drain
        const repo = yield* InboxRepository
        expect((yield* repo.backlog()).pending).toBe(1)
        expect(yield* (yield* DeadLetterRepository).list({ limit: 10, includeReplayed: false })).toEqual([])
        const letters = yield* eventually(
          Effect.zipRight(pipeline.drain, (yield* DeadLetterRepository).list({ limit: 10, includeReplayed: false })),
          (l) => l.length > 0
        )
        expect(letters).toHaveLength(1)
        expect(letters[0]).toMatchObject({ stage: "apply", provider: "generic" })
        expect(letters[0]!.error).toMatch(/after 2 attempts.*names delivery 987654321/)
        expect((yield* repo.backlog()).pending).toBe(0)
      }))

  })

  // Enough attempts that a slow machine, whose drain outlasts the first backoff, does not dead-letter it.
  layer(ingestSql(backend, { PIPELINE_MAX_ATTEMPTS: "100" }), { excludeTestServices: true })((it) => {
    it.effect("one event whose write fails among 1,000 does not stop the other 999: the batch is split until it stands alone", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        // A real failure inside PostgreSQL for one event, wherever it sits in the batch.
        yield* sql.unsafe(`
          CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN IF NEW.provider_event_id = 'poison' THEN RAISE EXCEPTION 'poisoned event'; END IF; RETURN NEW; END $$;
          CREATE TRIGGER refuse_poison BEFORE INSERT ON delivery_events FOR EACH ROW EXECUTE FUNCTION refuse_poison()`)
        const events = Array.from({ length: 1_000 }, (_, i) => makeEvent({
          orgId: "org-poison", type: "delivered", recipient: `r${i % 300}@example.com`, providerMessageId: `m-${i}`,
          providerEventId: i === 617 ? "poison" : `ok-${i}`
        }))
        yield* (yield* Inbox).append(events)
        yield* (yield* Pipeline).drain
        const [applied] = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM delivery_events WHERE org_id = 'org-poison'`
        expect(applied!.n).toBe(999)
        const [left] = yield* sql<{ provider_event_id: string; attempts: number; last_error: string }>`
          SELECT provider_event_id, attempts, last_error FROM ingest_inbox WHERE org_id = 'org-poison' AND processed_at IS NULL`
        expect(left).toMatchObject({ provider_event_id: "poison", last_error: expect.stringMatching(/poisoned event/) })
        expect(left!.attempts).toBeGreaterThanOrEqual(1)
        const daily = yield* (yield* RollupRepository).daily("org-poison", DateTime.unsafeMake("2026-01-01T00:00:00Z"), DateTime.unsafeMake("2026-01-01T00:00:00Z"))
        expect(daily[0]?.counters.delivered).toBe(999)
      }))
  })
})
