import { get, request } from "../client.js"
import { dateTime, h, heading, notice, number, replace, table } from "../dom.js"
import { adminCredentials } from "../session.js"
import { DeadLetters, Inbox, Replayed } from "../schemas.js"
import type { View } from "../view.js"
import { section, showing } from "../view.js"

const inboxPart = () => section("Inbox", async (into) => {
  const inbox = await get(Inbox, "/admin/inbox", undefined, "admin")
  replace(into, h("h2", {}, "Inbox"),
    h("dl", { class: "facts" },
      h("dt", {}, "Events waiting to be applied"), h("dd", { "data-metric": "pending" }, number(inbox.pending)),
      h("dt", {}, "Oldest waiting for"), h("dd", {}, inbox.oldestPendingAgeSeconds === null ? "nothing waits" : `${number(inbox.oldestPendingAgeSeconds)} s`)))
})

const deadLettersPart = (redraw: () => void) => section("Dead letters", async (into) => {
  const { items } = await get(DeadLetters, "/admin/dead-letters", { limit: 50 }, "admin")
  const status = h("div", {})
  const replay = (id: number) => showing(status, async () => {
    await request(Replayed, "POST", `/admin/dead-letters/${id}/replay`, { who: "admin" })
    redraw()
  })
  replace(into, h("h2", {}, "Dead letters"), status,
    table("Dead letters not yet replayed, newest first", [
      { label: "Id", numeric: true, cell: (d) => String(d.id) },
      { label: "Org", cell: (d) => d.orgId ?? "" },
      { label: "Provider", cell: (d) => d.provider },
      { label: "Stage", cell: (d) => d.stage },
      { label: "Error", cell: (d) => d.error },
      { label: "Body", cell: (d) => (d.rawBody === null ? "—" : h("details", {}, h("summary", {}, "body"), h("pre", {}, d.rawBody))) },
      { label: "Received", cell: (d) => dateTime(d.createdAt) },
      { label: "Replay", cell: (d) => (d.replayedAt === null ? h("button", { type: "button", onclick: () => replay(d.id) }, `Replay ${d.id}`) : `replayed ${dateTime(d.replayedAt)}`) }
    ], items))
})

/** The operator's view (admin key): the ingest backlog and its age, dead letters and their replay. */
export const operationsView: View = (root) => {
  if (adminCredentials() === undefined) {
    replace(root, heading("Operations"), notice("Operations need the admin key."), h("a", { href: "#/sign-in" }, "Sign in as operator"))
    return
  }
  const draw = (): void => replace(root,
    heading("Operations"),
    h("div", { class: "toolbar" }, h("button", { type: "button", onclick: draw }, "Refresh")),
    inboxPart(),
    deadLettersPart(draw),
    h("p", { class: "muted" }, "Notification endpoints and their delivery log will appear here once the service has them."))
  draw()
}
