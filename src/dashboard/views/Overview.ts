import { sumCounters } from "../counters.js"
import { channels, breakdownColumns, counterRows } from "../metrics.js"
import { get } from "../client.js"
import type { Column } from "../dom.js"
import { h, heading, number, percent, replace, table } from "../dom.js"
import type { Alert, Health, Rates } from "../schemas.js"
import { StatsSeries, Summary, Health as HealthSchema } from "../schemas.js"
import type { View } from "../view.js"
import { section } from "../view.js"

/** What each alert means and what to do about it (the thresholds are docs/api.md's). */
const guidance: Record<string, readonly [means: string, todo: string]> = {
  complaintRate: ["Recipients are marking your mail as spam. Mailbox providers start filtering or blocking a sender above 0.1%.", "Stop the stream that complains most (see the streams below), send only to people who asked for it, and make unsubscribing easy."],
  deliveryRate: ["Fewer than 95% of sends reach a mailbox or phone: addresses bounce, or providers refuse or defer your mail.", "Look at the bounced and failed rows of recent broadcasts for the reasons, and clean the list before the next send."],
  senderBounceRate: ["One sending account bounces more than its threshold over its lifetime.", "Check the account's recent broadcasts for a stale list, and send from it only to recently engaged contacts."],
  notificationEndpointDisabled: ["Sendtrail stopped sending to a notification endpoint after its attempts failed for a sustained time; its messages wait.", "Fix the receiver, then re-enable the endpoint (PATCH /notification-endpoints/{id} with enabled: true): what waited is delivered then."],
  senderFlagged: ["A sending account breached the bounce or complaint policy and is flagged until an operator clears it.", "Send from another account, find the cause (Sender accounts), then clear the flag with the admin API."]
}

const alertItem = (alert: Alert) => {
  const [means, todo] = guidance[alert.metric] ?? ["", ""]
  return h("li", { class: `alert ${alert.severity}` },
    h("p", {}, h("strong", {}, alert.severity === "critical" ? "Critical: " : "Warning: "), alert.message),
    means === "" ? null : h("p", {}, h("span", { class: "label" }, "What it means: "), means),
    todo === "" ? null : h("p", {}, h("span", { class: "label" }, "What to do: "), todo))
}

const healthPart = (health: Health) => {
  const alerts = [...health.alerts, ...health.streams.flatMap((stream) => stream.alerts)]
  return [
    h("h2", {}, "Health now ", h("span", { class: `badge ${health.status}`, "data-health": health.status }, health.status)),
    h("p", { class: "muted" }, `${health.note}. ${number(health.sent)} sends in the window.`),
    alerts.length === 0 ? h("p", {}, "No alert: every rate is within its threshold.") : h("ul", { class: "alerts" }, alerts.map(alertItem))
  ]
}

const verdict = (value: number, warning: number | null, critical: number | null, below: boolean) => {
  const breaches = (threshold: number | null) => threshold !== null && (below ? value < threshold : value > threshold)
  if (breaches(critical)) return "critical"
  if (breaches(warning)) return "warning"
  return "ok"
}

const rateRows = (rates: Rates, sent: number, health: Health) => {
  const t = health.thresholds
  const rows: ReadonlyArray<readonly [string, number, string, string]> = [
    ["Delivery rate", rates.deliveryRate, `below ${percent(t.deliveryRateWarning)} is a warning`, sent === 0 ? "ok" : verdict(rates.deliveryRate, t.deliveryRateWarning, null, true)],
    ["Complaint rate", rates.complaintRate, `above ${percent(t.complaintRateWarning)} warning, ${percent(t.complaintRateCritical)} critical`, verdict(rates.complaintRate, t.complaintRateWarning, t.complaintRateCritical, false)],
    ["Bounce rate", rates.bounceRate, `a sender account above ${percent(t.senderBounceRate)} is a warning`, verdict(rates.bounceRate, t.senderBounceRate, null, false)],
    ["Open rate", rates.openRate, "no threshold", "ok"],
    ["Click rate", rates.clickRate, "no threshold", "ok"]
  ]
  const columns: ReadonlyArray<Column<typeof rows[number]>> = [
    { label: "Rate", cell: ([label]) => label },
    { label: "Last 30 days", numeric: true, cell: ([, value]) => percent(value) },
    { label: "Threshold", cell: ([, , threshold]) => threshold },
    { label: "Status", cell: ([, , , status]) => h("span", { class: `badge ${status}` }, status) }
  ]
  return table("Rates against the health thresholds", columns, rows)
}

const change = (relative: number | null | undefined, absolute: number | undefined) =>
  absolute === undefined ? "—" : `${absolute >= 0 ? "+" : ""}${number(absolute)}${relative === null || relative === undefined ? "" : ` (${relative >= 0 ? "+" : ""}${percent(relative)})`}`

/** The last 30 days against the 30 before, per channel and stream, with the current alerts. */
export const overviewView: View = (root) => {
  const health = get(HealthSchema, "/deliverability/health")
  replace(root,
    heading("Overview"),
    section("Health", async (into) => replace(into, ...healthPart(await health))),
    section("Last 30 days", async (into) => {
      const summary = await get(Summary, "/broadcast/stats/summary")
      const range = { startDate: summary.startDate, endDate: summary.endDate, aggregatedBy: "month" }
      const perChannel = await Promise.all(channels.map(async (channel) => ({
        channel,
        counters: sumCounters((await get(StatsSeries, "/broadcast/stats", { ...range, channel })).buckets.map((bucket) => bucket.counters))
      })))
      const totals: ReadonlyArray<Column<typeof counterRows[number]>> = [
        { label: "Metric", cell: ([, label]) => label },
        { label: `${summary.startDate} – ${summary.endDate}`, numeric: true, cell: ([key, , read]) => h("span", { "data-metric": key }, number(read(summary.counters))) },
        { label: `${summary.previous.startDate} – ${summary.previous.endDate}`, numeric: true, cell: ([, , read]) => number(read(summary.previous.counters)) },
        { label: "Change", numeric: true, cell: ([key, , read]) => key in summary.change ? change(summary.change[key]?.relative, summary.change[key]?.absolute) : change(null, read(summary.counters) - read(summary.previous.counters)) }
      ]
      replace(into,
        h("h2", {}, "Last 30 days"),
        table("Totals against the previous 30 days", totals, counterRows),
        rateRows(summary.rates, summary.counters.sent, await health),
        h("h2", {}, "By stream"),
        table("Last 30 days by stream (category)", breakdownColumns("Stream", (row: typeof summary.streams[number]) => row.category), summary.streams),
        h("h2", {}, "By channel"),
        table("Last 30 days by channel", breakdownColumns("Channel", (row: typeof perChannel[number]) => row.channel), perChannel))
    }))
}
