import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import type { ServerSentEvent } from "../../src/dashboard/sse.js"
import { sseParser } from "../../src/dashboard/sse.js"

type Message = { readonly _tag: "event"; readonly event: string; readonly lines: ReadonlyArray<string> } | { readonly _tag: "comment"; readonly text: string }

const lineText = fc.string({ maxLength: 12 }).filter((s) => !/[\r\n]/.test(s))
const message: fc.Arbitrary<Message> = fc.oneof(
  fc.record({ _tag: fc.constant("event" as const), event: fc.stringMatching(/^[a-z_]{1,12}$/), lines: fc.array(lineText, { minLength: 1, maxLength: 3 }) }),
  fc.record({ _tag: fc.constant("comment" as const), text: fc.stringMatching(/^[a-z]([a-z ]{0,10}[a-z])?$/) })
)

/** The messages as the service writes them, with the given line end. */
const serialize = (messages: ReadonlyArray<Message>, eol: string) =>
  messages.map((m) => (m._tag === "comment" ? `: ${m.text}${eol}${eol}` : `event: ${m.event}${eol}${m.lines.map((line) => `data: ${line}${eol}`).join("")}${eol}`)).join("")

/** The text cut at the given points: a chunk may end inside a line, a CRLF or a character. */
const cut = (text: string, points: ReadonlyArray<number>) => {
  const at = [...new Set(points.map((p) => p % (text.length + 1)))].sort((a, b) => a - b)
  return [0, ...at].map((start, i) => text.slice(start, at[i] ?? text.length))
}

describe("the dashboard's SSE parser", () => {
  it.prop("yields every event and comment once, in order, however the stream is cut into chunks and whichever line end it uses", [
    fc.array(message, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 12 }), fc.constantFrom("\n", "\r\n", "\r")
  ], ([messages, points, eol]) => {
    const events: Array<ServerSentEvent> = []
    const comments: Array<string> = []
    const parse = sseParser({ event: (e) => events.push(e), comment: (c) => comments.push(c) })
    for (const chunk of cut(serialize(messages, eol), points)) parse(chunk)
    expect(events).toEqual(messages.flatMap((m) => (m._tag === "event" ? [{ event: m.event, data: m.lines.join("\n") }] : [])))
    expect(comments).toEqual(messages.flatMap((m) => (m._tag === "comment" ? [m.text] : [])))
  })

  it("holds an incomplete message until its blank line arrives", () => {
    const events: Array<ServerSentEvent> = []
    const parse = sseParser({ event: (e) => events.push(e), comment: () => undefined })
    parse("event: delivered\ndata: {\"a\":1}\n")
    expect(events).toEqual([])
    parse("\n")
    expect(events).toEqual([{ event: "delivered", data: "{\"a\":1}" }])
  })
})
