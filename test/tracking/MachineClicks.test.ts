import { describe, expect, it } from "@effect/vitest"
import { DateTime } from "effect"
import type { RecentClick } from "../../src/tracking/MachineClicks.js"
import { addClick, burstWindowMillis, earlyClickMillis, makeClickBursts, soonAfterArrival } from "../../src/tracking/MachineClicks.js"

const delivered = DateTime.unsafeMake("2026-05-01T12:00:00Z")
const t0 = delivered.epochMillis

const clicks = (list: ReadonlyArray<RecentClick>) =>
  list.reduce<{ readonly recent: ReadonlyArray<RecentClick>; readonly burst: boolean }>((acc, c) => addClick(acc.recent, c), { recent: [], burst: false })

describe("machine clicks", () => {
  it("a click within seconds of delivery is a scanner's; later ones are not", () => {
    expect(soonAfterArrival({ milestones: { delivered } }, t0 + 3_000)).toBe(true)
    expect(soonAfterArrival({ milestones: { delivered } }, t0 + earlyClickMillis)).toBe(false)
    expect(soonAfterArrival({ milestones: { sent: delivered } }, t0 + 1_000)).toBe(true)
    expect(soonAfterArrival({ milestones: {} }, t0)).toBe(false)
  })

  it("the third different link of one delivery clicked within the window completes a burst", () => {
    const first = addClick([], { url: "https://a.example/1", at: t0 })
    const second = addClick(first.recent, { url: "https://a.example/2", at: t0 + 400 })
    const third = addClick(second.recent, { url: "https://a.example/3", at: t0 + 800 })
    expect([first.burst, second.burst, third.burst]).toEqual([false, false, true])
  })

  it("the same link clicked again, or links clicked farther apart, is no burst", () => {
    expect(clicks([0, 100, 200, 300].map((dt) => ({ url: "https://a.example/1", at: t0 + dt }))).burst).toBe(false)
    const slow = clicks([0, 1, 2].map((i) => ({ url: `https://a.example/${i}`, at: t0 + i * burstWindowMillis })))
    expect(slow.burst).toBe(false)
    expect(slow.recent).toHaveLength(1)
  })

  it("bursts are kept per delivery", () => {
    const inBurst = makeClickBursts()
    expect(inBurst(1, { url: "https://a.example/1", at: t0 })).toBe(false)
    expect(inBurst(2, { url: "https://a.example/2", at: t0 + 10 })).toBe(false)
    expect(inBurst(3, { url: "https://a.example/3", at: t0 + 20 })).toBe(false)
    expect(inBurst(1, { url: "https://a.example/2", at: t0 + 30 })).toBe(false)
    expect(inBurst(1, { url: "https://a.example/3", at: t0 + 40 })).toBe(true)
    expect(inBurst(2, { url: "https://a.example/9", at: t0 + 10 * burstWindowMillis })).toBe(false)
  })
})
