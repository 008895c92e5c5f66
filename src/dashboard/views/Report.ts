import { statusPrecedence as statuses } from "../../domain/Delivery.js"
import { download, get } from "../client.js"
import { append, dateTime, field, h, notice, replace, select } from "../dom.js"
import { channels } from "../metrics.js"
import type { ReportRow } from "../schemas.js"
import { ActivityPage, MessageDeliveries, ReportPage } from "../schemas.js"
import { showing } from "../view.js"

/** An event's details as `name: value` text (reasons, URLs and user agents are whatever a provider or a recipient sent). */
const details = (event: Readonly<Record<string, unknown>>) =>
  Object.entries(event).filter(([name]) => name !== "type" && name !== "at")
    .map(([name, value]) => `${name}: ${typeof value === "string" ? value : JSON.stringify(value)}`).join(" · ")

const chronology = (row: ReportRow) =>
  h("ol", { class: "chronology" }, row.events.map((event) =>
    h("li", {}, h("span", { class: "event-type" }, event.type), " ", h("time", { datetime: event.at }, dateTime(event.at)), " ", h("span", { class: "muted" }, details(event)))))

let rowIds = 0

const rowsOf = (rows: ReadonlyArray<ReportRow>) => rows.flatMap((row) => {
  const detailId = `chronology-${++rowIds}`
  const detail = h("tr", { id: detailId, class: "detail", hidden: true }, h("td", { colspan: 7 }, chronology(row)))
  const toggle = h("button", { type: "button", class: "link", "aria-expanded": "false", "aria-controls": detailId }, "Chronology")
  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") !== "true"
    toggle.setAttribute("aria-expanded", String(open))
    detail.hidden = !open
  })
  const last = row.events.at(-1)
  return [
    h("tr", { "data-recipient": row.recipient },
      h("td", {}, row.recipient), h("td", {}, row.channel), h("td", {}, h("span", { class: `status ${row.status}` }, row.status)),
      h("td", {}, row.providerMessageId ?? "—"), h("td", {}, last === undefined ? "—" : dateTime(last.at)),
      h("td", {}, row.errorReason ?? ""), h("td", {}, toggle)),
    detail
  ]
})

const reportTable = (caption: string) => {
  const body = h("tbody", {})
  const wrap = h("div", { class: "table-wrap", tabindex: 0, role: "region", "aria-label": caption },
    h("table", { class: "report" }, h("caption", {}, caption),
      h("thead", {}, h("tr", {}, ["Recipient", "Channel", "Status", "Message id", "Last event", "Reason", "Events"].map((label) => h("th", { scope: "col" }, label)))),
      body))
  return { wrap, body }
}

/**
 * The broadcast's delivery rows: a status and channel filter, a page at a time (cursor), each row's
 * chronology, a recipient search, and the same rows as CSV.
 */
export const reportPart = (id: string) => {
  const path = `/broadcast/${encodeURIComponent(id)}/report`
  const status = select("status", [["", "every status"], ...statuses.map((s): [string, string] => [s, s])])
  const channel = select("channel", [["", "every channel"], ...channels.map((c): [string, string] => [c, c])])
  const results = h("div", {})
  const show = () => showing(results, async () => {
    // The filter as it was when asked: a later page must use the same one (its cursor is scoped to it).
    const query = { status: status.value, channel: channel.value, pageSize: 50 }
    const first = await get(ReportPage, path, query)
    const { wrap, body } = reportTable(`Delivery rows${query.status === "" ? "" : ` with status ${query.status}`}`)
    const more = h("div", {})
    const next = (cursor: string | null): HTMLElement | null => cursor === null ? null
      : h("button", { type: "button", class: "more", onclick: () => showing(more, async () => {
        const page = await get(ReportPage, path, { ...query, cursor })
        append(body, rowsOf(page.items))
        replace(more, next(page.nextCursor))
      }) }, "Next 50 rows")
    append(body, rowsOf(first.items))
    replace(more, next(first.nextCursor))
    replace(results, wrap, more)
  })
  const searchInput = h("input", { type: "search", name: "recipient", required: true, autocomplete: "off" })
  const search = () => showing(results, async () => {
    // The report has no address filter: the activity feed finds the address's sends, and each send's
    // message log carries its delivery rows with their chronology.
    const recipient = searchInput.value.trim().toLowerCase()
    const activity = await get(ActivityPage, "/broadcast/activity", { recipient, limit: 100 })
    const messageIds = [...new Set(activity.items.filter((item) => item.broadcastId === id).flatMap((item) => (item.providerMessageId === null ? [] : [item.providerMessageId])))]
    const rows = (await Promise.all(messageIds.map((messageId) => get(MessageDeliveries, `/broadcast/activity/${encodeURIComponent(messageId)}`))))
      .flatMap((message) => message.deliveries.filter((row) => row.broadcastId === id && row.recipient === recipient))
    const { wrap, body } = reportTable(`Rows of ${recipient}`)
    append(body, rowsOf(rows))
    replace(results, rows.length === 0 ? notice(`No row of this broadcast for ${recipient}.`) : wrap, h("button", { type: "button", class: "link", onclick: show }, "Back to every row"))
  })
  const part = h("section", { "aria-labelledby": "report-title" },
    h("h2", { id: "report-title" }, "Report"),
    h("div", { class: "toolbar" },
      h("form", { onsubmit: (event: Event) => { event.preventDefault(); show() } },
        field("Status", status), field("Channel", channel), h("button", { type: "submit" }, "Filter")),
      h("form", { role: "search", onsubmit: (event: Event) => { event.preventDefault(); search() } },
        field("Recipient", searchInput), h("button", { type: "submit" }, "Find")),
      h("button", { type: "button", onclick: () => showing(results, () => download(`${path}.csv`, { status: status.value, channel: channel.value }, `report-${id}.csv`)) }, "Download CSV")),
    results)
  show()
  return part
}
