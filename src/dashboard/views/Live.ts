import { Either, Schema } from "effect"
import { ApiError, stream } from "../client.js"
import { dateTime, h, heading, notice, replace } from "../dom.js"
import { AppliedEvent } from "../schemas.js"
import type { View } from "../view.js"

const shownAtMost = 200
const decodeEvent = Schema.decodeUnknownEither(Schema.parseJson(AppliedEvent))

/**
 * The org's events as the pipeline applies them (GET /events/stream, read with fetch so the token
 * stays in a header), newest on top; paused, arrivals are counted and shown on resume.
 */
export const liveView: View = (root) => {
  const controller = new AbortController()
  const list = h("ol", { class: "feed", "aria-label": "Applied events, newest first" })
  const state = h("p", { role: "status" }, "Connecting…")
  const held: Array<HTMLElement> = []
  let paused = false
  const pause = h("button", { type: "button", "aria-pressed": "false" }, "Pause")
  const show = (items: ReadonlyArray<HTMLElement>) => {
    list.prepend(...items.toReversed())
    while (list.children.length > shownAtMost) list.lastElementChild?.remove()
  }
  pause.addEventListener("click", () => {
    paused = !paused
    pause.setAttribute("aria-pressed", String(paused))
    pause.textContent = paused ? "Resume" : "Pause"
    if (!paused) show(held.splice(0))
    state.textContent = paused ? "Paused: new events are held until you resume." : "Live: events appear as they are applied."
  })
  replace(root, heading("Live feed"), h("div", { class: "toolbar" }, pause), state, list)
  stream("/events/stream", { comment: (text) => {
    if (text !== "subscribed") return
    list.setAttribute("data-live", "true")
    state.textContent = "Live: events appear as they are applied."
  }, event: (message) => {
    const decoded = decodeEvent(message.data)
    if (Either.isLeft(decoded)) return
    const event = decoded.right
    const item = h("li", { "data-type": event.type },
      h("time", {}, dateTime(event.occurredAt)), " ",
      h("span", { class: `status ${event.type}` }, event.type), " ",
      h("span", { class: "recipient" }, event.recipient), " ",
      h("span", { class: "muted" }, `${event.channel} · ${event.provider}`))
    if (paused) {
      held.push(item)
      state.textContent = `Paused: ${held.length} new events held until you resume.`
    } else show([item])
  } }, controller.signal).then(
    () => { if (!controller.signal.aborted) state.textContent = "The stream ended (the service restarted or this tab fell behind): reload the view to reconnect." },
    (error: unknown) => { if (!controller.signal.aborted) replace(root, heading("Live feed"), notice(error instanceof ApiError ? error.message : String(error), "error")) })
  return () => controller.abort()
}
