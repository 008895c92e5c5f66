import { get, request } from "../client.js"
import { dateTime, h, heading, notice, number, percent, replace, table } from "../dom.js"
import type { BroadcastCounters } from "../schemas.js"
import { BroadcastDetail, RecipientPage, RetryListCreated } from "../schemas.js"
import { moreButton, section, showing } from "../view.js"
import { reportPart } from "./Report.js"

const funnel = (c: BroadcastCounters | null) => {
  if (c === null) return h("p", {}, "Nothing counted yet.")
  const steps: ReadonlyArray<readonly [string, number]> = [
    ["Sent", c.sent], ["Delivered", c.delivered], ["Opened", c.opened], ["Opened by humans", c.opened_human], ["Clicked", c.clicked],
    ["Bounced", c.bounced], ["Failed", c.failed], ["Complained", c.complained], ["Unsubscribed", c.unsubscribed]
  ]
  return h("ol", { class: "funnel", "aria-label": "Funnel, as a share of sent" }, steps.map(([label, value]) => {
    const bar = h("span", { class: "bar", "aria-hidden": "true" })
    // A width set through the CSSOM: allowed by the page's style-src 'self', unlike a style attribute.
    bar.style.width = `${c.sent === 0 ? 0 : Math.min(100, (value / c.sent) * 100)}%`
    return h("li", { "data-step": label },
      h("span", { class: "step" }, label),
      h("span", { class: "track" }, bar),
      h("span", { class: "num" }, `${number(value)}${c.sent === 0 ? "" : ` (${percent(value / c.sent)})`}`))
  }))
}

const retryStatuses = ["failed", "bounced", "queued", "sent"] as const

const retryForm = (id: string) => {
  const result = h("div", { role: "status" })
  const boxes = retryStatuses.map((status) => h("input", { type: "checkbox", name: "statuses", value: status, checked: status === "failed" || status === "bounced" }))
  return h("form", {
    class: "retry",
    "aria-labelledby": "retry-title",
    onsubmit: (event: Event) => {
      event.preventDefault()
      const statuses = boxes.filter((box) => box.checked).map((box) => box.value)
      showing(result, async () => {
        const created = await request(RetryListCreated, "POST", `/broadcast/${encodeURIComponent(id)}/retry-list`, { body: { statuses } })
        replace(result, h("p", {},
          `${number(created.included)} recipients on the retry list (left out: ${number(created.excluded.suppressed)} suppressed, ${number(created.excluded.optedOut)} opted out, ${number(created.excluded.bounced)} bounced, ${number(created.excluded.inactiveToken)} inactive tokens). `,
          h("a", { href: `#/broadcasts/${encodeURIComponent(created.broadcast.id)}` }, `Open ${created.broadcast.name}`)))
      })
    }
  },
    h("h2", { id: "retry-title" }, "Retry list"),
    h("p", {}, "A new broadcast for the recipients whose row has one of these statuses, less the suppressed, opted-out and bounced."),
    h("fieldset", {}, h("legend", {}, "Statuses"), boxes.map((box) => h("label", { class: "check" }, box, ` ${box.value}`))),
    h("button", { type: "submit" }, "Create retry list"),
    result)
}

const recipientsPart = (id: string) => section("Recipients", async (into) => {
  const shown: Array<typeof RecipientPage.Type.items[number]> = []
  const load = async (cursor: string | undefined) => {
    const page = await get(RecipientPage, `/broadcast/${encodeURIComponent(id)}/recipients`, { pageSize: 50, cursor })
    shown.push(...page.items)
    replace(into, h("h2", {}, "Recipient list"),
      table("The broadcast's list (a retry list's recipients)", [
        { label: "Channel", cell: (r) => r.channel },
        { label: "Address", cell: (r) => r.address },
        { label: "Status", cell: (r) => r.status },
        { label: "Removed", cell: (r) => (r.removedAt === null ? "" : `${dateTime(r.removedAt)} (${r.removedReason ?? ""})`) }
      ], shown),
      moreButton(page.nextCursor, "More recipients", (next) => void load(next)))
  }
  await load(undefined)
})

/** One broadcast: its funnel, its report, its recipient list and its retry list. */
export const broadcastDetail = (root: HTMLElement, id: string) => {
  replace(root, heading("Broadcast"), notice("Loading…"))
  showing(root, async () => {
    const broadcast = await get(BroadcastDetail, `/broadcast/${encodeURIComponent(id)}`)
    replace(root,
      h("p", {}, h("a", { href: "#/broadcasts" }, "← All broadcasts")),
      heading(broadcast.name),
      h("dl", { class: "facts" },
        h("dt", {}, "Id"), h("dd", {}, broadcast.id),
        h("dt", {}, "Stream"), h("dd", {}, broadcast.category),
        h("dt", {}, "Channels"), h("dd", {}, broadcast.channels.join(", ")),
        h("dt", {}, "Created"), h("dd", {}, dateTime(broadcast.createdAt)),
        h("dt", {}, "Recipients"), h("dd", {}, `${number(broadcast.recipientCount)} listed, ${number(broadcast.removedRecipientCount)} removed`),
        broadcast.retryOf === null ? null : [h("dt", {}, "Retry of"), h("dd", {}, h("a", { href: `#/broadcasts/${encodeURIComponent(broadcast.retryOf)}` }, broadcast.retryOf))]),
      h("h2", {}, "Funnel"),
      funnel(broadcast.counters),
      reportPart(broadcast.id),
      recipientsPart(broadcast.id),
      retryForm(broadcast.id))
  })
}
