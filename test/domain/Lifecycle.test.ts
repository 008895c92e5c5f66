import { describe, expect, it } from "@effect/vitest"
import { DateTime, FastCheck as fc } from "effect"
import type { NormalizedEvent } from "../../src/domain/Event.js"
import type { LifecycleState } from "../../src/domain/Lifecycle.js"
import { apply, initialState } from "../../src/domain/Lifecycle.js"
import { arbitraryEventsForOneDelivery, arbitraryRedelivery, makeEvent } from "../support/events.js"

const start = initialState("queued", DateTime.unsafeMake("2025-12-31T23:00:00Z"))
const run = (events: ReadonlyArray<NormalizedEvent>, from: LifecycleState = start) =>
  events.reduce((state, event) => apply(state, event).state, from)
const comparable = (state: LifecycleState) => ({ ...state, seen: [...state.seen].sort() })
const effectsOf = (events: ReadonlyArray<NormalizedEvent>) => {
  let state = start
  const effects: Array<string> = []
  for (const event of events) {
    const result = apply(state, event)
    state = result.state
    effects.push(...result.effects.map((e) => JSON.stringify(e)))
  }
  return effects.sort()
}

describe("delivery lifecycle", () => {
  it.prop(
    "the final state is the same for every order of the same events, and duplicates change nothing",
    [arbitraryEventsForOneDelivery().chain((events) => fc.tuple(fc.constant(events), arbitraryRedelivery(events)))],
    ([[events, redelivered]]) => {
      expect(comparable(run(redelivered))).toEqual(comparable(run(events)))
    }
  )

  it.prop(
    "the side effects carried out are the same multiset whatever the order, and a duplicate adds none",
    [arbitraryEventsForOneDelivery().chain((events) => fc.tuple(fc.constant(events), arbitraryRedelivery(events)))],
    ([[events, redelivered]]) => {
      expect(effectsOf(redelivered)).toEqual(effectsOf(events))
    }
  )

  it("status is the highest milestone: a late open never hides a complaint", () => {
    const state = run([makeEvent({ type: "complained" }), makeEvent({ type: "opened" }), makeEvent({ type: "delivered" })])
    expect(state.status).toBe("complained")
    expect(Object.keys(state.milestones).sort()).toEqual(["complained", "delivered", "opened", "queued"])
  })

  it("a soft bounce, a deferral and a bounce of soft kind are recorded without changing status", () => {
    const delivered = run([makeEvent({ type: "delivered" })])
    for (const event of [
      makeEvent({ type: "soft_bounced" }),
      makeEvent({ type: "deferred" }),
      makeEvent({ type: "bounced", details: { bounceKind: "soft" } })
    ]) {
      const result = apply(delivered, event)
      expect(result.applied).toBe(true)
      expect(result.state.status).toBe("delivered")
      expect(result.effects).toEqual([])
    }
  })

  it("the same provider event twice is a no-op", () => {
    const bounce = makeEvent({ type: "bounced", details: { reason: "no such user" } })
    const once = apply(start, bounce)
    const twice = apply(once.state, bounce)
    expect(twice.applied).toBe(false)
    expect(twice.effects).toEqual([])
    expect(twice.state).toBe(once.state)
  })

  it("a hard bounce marks the channel bounced, suppresses, records the reason and counts for the sender", () => {
    const result = apply(start, makeEvent({ type: "bounced", details: { bounceKind: "hard", reason: "no such user" } }))
    expect(result.state.status).toBe("bounced")
    expect(result.state.errorReason).toBe("no such user")
    expect(result.effects.map((e) => e._tag)).toEqual(["MarkBounced", "Suppress", "RecordActivity", "CountForSender", "CountForSender"])
    expect(result.effects).toContainEqual(expect.objectContaining({ _tag: "RecordActivity", title: "Email bounced" }))
  })

  it("a complaint opts out and suppresses every channel", () => {
    const result = apply(start, makeEvent({ type: "complained" }))
    expect(result.effects).toContainEqual(expect.objectContaining({ _tag: "OptOut", channels: ["email", "sms", "whatsapp", "push", "telegram", "in_app"] }))
    expect(result.effects).toContainEqual(expect.objectContaining({ _tag: "Suppress", reason: "complaint" }))
  })

  it("an unsubscribe from security mail blocks nothing", () => {
    const result = apply(start, makeEvent({ type: "unsubscribed", details: { category: "security" } }))
    expect(result.state.status).toBe("unsubscribed")
    expect(result.effects).toEqual([])
  })

  it("SMS error codes decide between opt-out, invalid number and a transient failure", () => {
    const sms = (errorCode: string) => apply(start, makeEvent({ type: "failed", channel: "sms", details: { errorCode } }))
    expect(sms("21610").effects).toContainEqual(expect.objectContaining({ _tag: "OptOut", channels: ["sms"] }))
    expect(sms("30005").effects).toContainEqual(expect.objectContaining({ _tag: "Suppress", reason: "invalid" }))
    expect(sms("30003").effects).toEqual([])
    expect(sms("30003").state.status).toBe("failed")
    const whatsapp = apply(start, makeEvent({ type: "failed", channel: "whatsapp", details: { errorCode: "63014" } }))
    expect(whatsapp.effects).toContainEqual(expect.objectContaining({ _tag: "OptOut", channels: ["whatsapp"] }))
  })

  it("an invalid number marks the phone channel bounced and suppresses it, as a hard bounce does", () => {
    for (const errorCode of ["30005", "21211", "21614"]) {
      const result = apply(start, makeEvent({ type: "failed", channel: "sms", details: { errorCode } }))
      expect(result.effects.map((e) => e._tag), errorCode).toEqual(["MarkBounced", "Suppress", "RecordActivity"])
      expect(result.effects[0]).toMatchObject({ channel: "sms" })
      expect(result.state.status).toBe("failed")
    }
  })

  it("30007 (message filtered) counts against the sender and records why, without an opt-out or a suppression", () => {
    const result = apply(start, makeEvent({ type: "failed", channel: "sms", details: { errorCode: "30007", reason: "message filtered" } }))
    expect(result.effects).toEqual([
      expect.objectContaining({ _tag: "CountForSender", metric: "bounced" }),
      expect.objectContaining({ _tag: "RecordActivity", kind: "blocked", reason: "message filtered" })
    ])
    expect(result.state.status).toBe("failed")
  })

  it("a send is counted once for the sender, by the first milestone that proves it left", () => {
    const delivered = apply(start, makeEvent({ type: "delivered" }))
    const sent = apply(delivered.state, makeEvent({ type: "sent" }))
    const metrics = [...delivered.effects, ...sent.effects].flatMap((e) => e._tag === "CountForSender" ? [e.metric] : [])
    expect(metrics.sort()).toEqual(["delivered", "sent"])
  })
})
