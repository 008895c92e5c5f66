import { get } from "../client.js"
import type { Column } from "../dom.js"
import { append, dateTime, h, heading, number, replace, table } from "../dom.js"
import type { Broadcast } from "../schemas.js"
import { BroadcastPage } from "../schemas.js"
import type { View } from "../view.js"
import { moreButton, section } from "../view.js"
import { broadcastDetail } from "./BroadcastDetail.js"

const count = (read: (c: NonNullable<Broadcast["counters"]>) => number): Column<Broadcast>["cell"] => (b) => (b.counters === null ? "—" : number(read(b.counters)))

const columns: ReadonlyArray<Column<Broadcast>> = [
  { label: "Name", cell: (b) => h("a", { href: `#/broadcasts/${encodeURIComponent(b.id)}` }, b.name) },
  { label: "Stream", cell: (b) => b.category },
  { label: "Channels", cell: (b) => b.channels.join(", ") },
  { label: "Created", cell: (b) => dateTime(b.createdAt) },
  { label: "Sent", numeric: true, cell: count((c) => c.sent) },
  { label: "Delivered", numeric: true, cell: count((c) => c.delivered) },
  { label: "Opened", numeric: true, cell: count((c) => c.opened) },
  { label: "Clicked", numeric: true, cell: count((c) => c.clicked) },
  { label: "Bounced", numeric: true, cell: count((c) => c.bounced) },
  { label: "Complained", numeric: true, cell: count((c) => c.complained) },
  { label: "Retry of", cell: (b) => (b.retryOf === null ? "" : h("a", { href: `#/broadcasts/${encodeURIComponent(b.retryOf)}` }, "original")) }
]

/** The org's broadcasts, newest first, a page at a time; `#/broadcasts/<id>` is one broadcast. */
export const broadcastView: View = (root, [id]) => {
  if (id !== undefined && id !== "") return broadcastDetail(root, id)
  replace(root,
    heading("Broadcasts"),
    section("Broadcast list", async (into) => {
      const shown: Array<Broadcast> = []
      const load = async (cursor: string | undefined) => {
        const page = await get(BroadcastPage, "/broadcast", { limit: 25, cursor })
        shown.push(...page.items)
        replace(into, table("The org's broadcasts, newest first", columns, shown))
        append(into, moreButton(page.nextCursor, "More broadcasts", (next) => void load(next)))
      }
      await load(undefined)
    }))
}
