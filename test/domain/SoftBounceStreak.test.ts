import { describe, expect, it } from "@effect/vitest"
import type { Timeline, TimelineEntry } from "../../src/domain/SoftBounceStreak.js"
import { change, escalations, merge } from "../../src/domain/SoftBounceStreak.js"

const soft = (at: number): TimelineEntry => ({ at, key: `s${at}`, deliveryId: at, mark: "s" })
const delivered = (at: number): TimelineEntry => ({ at, key: `d${at}`, deliveryId: at, mark: "d" })
const complaint = (at: number): TimelineEntry => ({ at, key: `c${at}`, deliveryId: at, mark: "c", reason: "complaint", source: "generic:complained" })
const hard = (at: number): TimelineEntry => ({ at, key: `h${at}`, deliveryId: at, mark: "c", reason: "bounce", source: "generic:bounced" })
const invalidNumber = (at: number): TimelineEntry => ({ at, key: `i${at}`, deliveryId: at, mark: "c", reason: "invalid", source: "twilio:failed" })
const timeline = (...entries: ReadonlyArray<TimelineEntry>): Timeline => merge([], entries)

describe("soft bounces in a row", () => {
  it("every run of N between two deliveries escalates once, at its N-th soft bounce, named by the delivery before it", () => {
    const line = timeline(soft(1), soft(2), soft(3), delivered(4), soft(5), soft(6), delivered(7), soft(8))
    expect(escalations(line, 2)).toEqual([
      { run: "", at: 2, key: "s2", deliveryId: 2 },
      { run: "d4", at: 6, key: "s6", deliveryId: 6 }
    ])
  })

  it("merging is by occurrence whatever the arrival order, and an entry already there is not added again", () => {
    const inOrder = timeline(soft(1), delivered(2), soft(3))
    expect(merge(merge(timeline(soft(3)), [delivered(2)]), [soft(1), soft(3)])).toEqual(inOrder)
  })

  it("an escalation is recorded once: the address is marked bounced and suppressed for it", () => {
    const before = timeline(soft(1))
    const after = merge(before, [soft(2)])
    expect(change(before, after, 2)).toEqual({
      recorded: [{ run: "", at: 2, key: "s2", deliveryId: 2 }], withdrawn: [], bounced: true, replaced: null
    })
    expect(change(after, merge(after, [soft(3)]), 2)).toEqual({ recorded: [], withdrawn: [], bounced: null, replaced: null })
  })

  it("a late delivery that splits the run withdraws it: the flag and the suppression are lifted", () => {
    const escalated = timeline(soft(1), soft(3))
    const split = merge(escalated, [delivered(2)])
    expect(change(escalated, split, 2)).toEqual({
      recorded: [], withdrawn: [{ run: "", at: 3, key: "s3", deliveryId: 3 }], bounced: false, replaced: { previous: "s3", cause: null }
    })
  })

  it("withdrawn, the suppression falls back to the next cause, and a hard bounce keeps the flag", () => {
    const escalated = timeline(soft(1), soft(3), complaint(5), hard(6))
    expect(change(escalated, merge(escalated, [delivered(2)]), 2)).toEqual({
      recorded: [], withdrawn: [{ run: "", at: 3, key: "s3", deliveryId: 3 }], bounced: null,
      replaced: { previous: "s3", cause: { at: 5, key: "c5", deliveryId: 5, mark: "c", reason: "complaint", source: "generic:complained", streak: false } }
    })
  })

  it("withdrawn, an invalid number keeps the flag as a hard bounce does", () => {
    const escalated = timeline(soft(1), soft(3), invalidNumber(6))
    expect(change(escalated, merge(escalated, [delivered(2)]), 2)).toMatchObject({ bounced: null, replaced: { previous: "s3", cause: { key: "i6", reason: "invalid" } } })
  })

  it("an earlier soft bounce moves the run's escalation earlier, and the suppression with it", () => {
    const escalated = timeline(soft(4), soft(6))
    const earlier = merge(escalated, [soft(2)])
    expect(change(escalated, earlier, 2)).toMatchObject({
      recorded: [{ run: "", at: 4, key: "s4" }], withdrawn: [], bounced: null, replaced: { previous: "s6", cause: { key: "s4", streak: true } }
    })
  })
})
