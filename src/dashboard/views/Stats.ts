import uPlot from "uplot"
import { get } from "../client.js"
import { field, h, heading, number, percent, replace, select, table } from "../dom.js"
import { channels } from "../metrics.js"
import { StatsSeries } from "../schemas.js"
import type { View } from "../view.js"
import { showing } from "../view.js"

type Series = typeof StatsSeries.Type

const lines = [
  ["Sent", "sent", "#2563eb"],
  ["Delivered", "delivered", "#059669"],
  ["Opened", "opened", "#d97706"],
  ["Clicked", "clicked", "#7c3aed"],
  ["Bounced", "bounced", "#dc2626"],
  ["Complained", "complained", "#db2777"]
] as const

const cssColor = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim()

/** A uPlot line chart of the buckets' counters; the table after it holds the same numbers for reading. */
const chart = (series: Series, into: HTMLElement) => {
  const x = series.buckets.map((bucket) => Date.parse(`${bucket.start}T00:00:00Z`) / 1000)
  const axis = { stroke: cssColor("--fg"), grid: { stroke: cssColor("--grid") }, ticks: { stroke: cssColor("--grid") } }
  const plot = new uPlot({
    width: Math.max(280, into.clientWidth),
    height: 300,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
    series: [{ label: "Bucket start" }, ...lines.map(([label, , stroke]) => ({ label, stroke, width: 2 }))],
    axes: [axis, { ...axis, size: 60 }]
  }, [x, ...lines.map(([, key]) => series.buckets.map((bucket) => bucket.counters[key]))], into)
  const resize = () => plot.setSize({ width: Math.max(280, into.clientWidth), height: 300 })
  addEventListener("resize", resize)
  return () => {
    removeEventListener("resize", resize)
    plot.destroy()
  }
}

/** The org's counters by day, week or month, for one channel and stream or all. */
export const statsView: View = (root) => {
  const aggregatedBy = select("aggregatedBy", [["day", "day"], ["week", "week"], ["month", "month"]])
  const channel = select("channel", [["", "every channel"], ...channels.map((c): [string, string] => [c, c])])
  const category = h("input", { name: "category", type: "text", placeholder: "every stream", autocomplete: "off", spellcheck: "false", pattern: "[a-z][a-z0-9_-]{0,31}" })
  const startDate = h("input", { name: "startDate", type: "date" })
  const endDate = h("input", { name: "endDate", type: "date" })
  const plotArea = h("figure", { class: "chart" })
  const results = h("div", {})
  let stopChart: (() => void) | undefined
  const load = () => showing(results, async () => {
    const series = await get(StatsSeries, "/broadcast/stats", {
      aggregatedBy: aggregatedBy.value, channel: channel.value, category: category.value.trim(), startDate: startDate.value, endDate: endDate.value
    })
    stopChart?.()
    replace(plotArea, h("figcaption", {}, `By ${series.aggregatedBy}, ${series.startDate} to ${series.endDate}${channel.value === "" ? "" : `, ${channel.value}`}${category.value.trim() === "" ? "" : `, stream ${category.value.trim()}`}`))
    const canvas = h("div", { role: "img", "aria-label": "Line chart of the counters in the table below" })
    plotArea.append(canvas)
    stopChart = chart(series, canvas)
    replace(results, table("Counters per bucket", [
      { label: "From", cell: (b) => b.start },
      { label: "To", cell: (b) => b.end },
      ...lines.map(([label, key]) => ({ label, numeric: true, cell: (b: Series["buckets"][number]) => number(b.counters[key]) })),
      { label: "Delivery rate", numeric: true, cell: (b) => percent(b.rates.deliveryRate) },
      { label: "Open rate", numeric: true, cell: (b) => percent(b.rates.openRate) }
    ], series.buckets))
  })
  replace(root,
    heading("Stats"),
    h("form", { class: "toolbar", onsubmit: (event: Event) => { event.preventDefault(); load() } },
      field("By", aggregatedBy), field("Channel", channel), field("Stream", category), field("From", startDate), field("To", endDate),
      h("button", { type: "submit" }, "Show")),
    plotArea,
    results)
  load()
  return () => stopChart?.()
}
