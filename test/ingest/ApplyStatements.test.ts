import { expect, layer } from "@effect/vitest"
import { DateTime, Effect } from "effect"
import type { NormalizedEvent } from "../../src/domain/Event.js"
import { Inbox } from "../../src/ingest/Inbox.js"
import { Pipeline } from "../../src/ingest/Pipeline.js"
import { sqlBackends } from "../support/databases.js"
import { makeEvent } from "../support/events.js"
import { ingestSql } from "../support/ingest.js"
import { makeSpanTally, withSpanTally } from "../support/spanTally.js"

const day = DateTime.unsafeMake("2026-05-01T08:00:00Z")

/** Every kind of event the pipeline writes something different for, ten per message group. */
const mix = (org: string, group: number): ReadonlyArray<NormalizedEvent> => {
  const base = { orgId: org, recipient: `g${group}@example.com`, senderAccountId: `${org}-sender`, broadcastId: `${org}-b` }
  const at = (minutes: number) => DateTime.add(day, { minutes })
  const types = [
    ["m1", "sent", 0, {}], ["m1", "delivered", 1, {}], ["m1", "opened", 2, {}], ["m1", "clicked", 3, {}],
    ["m2", "soft_bounced", 4, {}], ["m3", "soft_bounced", 5, {}], ["m4", "soft_bounced", 6, {}],
    ["m5", "bounced", 7, { reason: "no such user" }], ["m6", "complained", 8, {}], ["m7", "unsubscribed", 9, { category: "marketing" }]
  ] as const
  return types.map(([message, type, minutes, details]) => makeEvent({
    ...base, type, providerMessageId: `${org}-${group}-${message}`, providerEventId: `${org}-${group}-${type}-${message}`,
    occurredAt: at(minutes), details
  }))
}

layer(ingestSql(sqlBackends[0]!, { PIPELINE_ENABLED: "false", PIPELINE_WORKERS: "1", SOFT_BOUNCE_ESCALATION: "3" }), { excludeTestServices: true })("apply in sets", (it) => {
  it.effect("a batch costs as many statements as the tables it writes, not as its events: 10 and 1,000 events alike, org-less ones two more", () =>
    Effect.gen(function* () {
      const inbox = yield* Inbox
      const pipeline = yield* Pipeline
      const statementsFor = (events: ReadonlyArray<NormalizedEvent>, orgless = false) =>
        Effect.gen(function* () {
          yield* inbox.append(events, orgless)
          const tally = makeSpanTally()
          yield* withSpanTally(tally)(pipeline.drain)
          // One batch, then a claim that finds nothing.
          expect(tally.count.get("ProjectionStore.apply")).toBe(2)
          return tally.count.get("sql.execute") ?? 0
        })
      const ten = yield* statementsFor(mix("org-st10", 0))
      const thousand = yield* statementsFor(Array.from({ length: 100 }, (_, group) => mix("org-st1000", group)).flat())
      expect(thousand).toBe(ten)
      expect(ten).toBeLessThanOrEqual(30)
      // From a route that names no org: one look-up of other orgs' deliveries and one rewrite of the rows, whatever the size.
      expect(yield* statementsFor(mix("default", 1000), true)).toBe(ten + 2)
      expect(yield* statementsFor(Array.from({ length: 100 }, (_, group) => mix("default", group)).flat(), true)).toBe(ten + 2)
    }))
})
