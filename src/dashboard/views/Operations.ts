import { get, request } from "../client.js"
import { dateTime, h, heading, notice, number, replace, table } from "../dom.js"
import { adminCredentials, orgCredentials } from "../session.js"
import { DeadLetters, EndpointChanged, Inbox, NotificationAttempts, NotificationEndpoints, Replayed } from "../schemas.js"
import type { View } from "../view.js"
import { moreButton, section, showing } from "../view.js"

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

/** An endpoint's delivery log, newest attempt first, a page at a time (each page adds to the one table). */
const deliveryLog = (endpointId: string) => section(`Delivery log of ${endpointId}`, async (into) => {
  const path = `/notification-endpoints/${encodeURIComponent(endpointId)}/deliveries`
  const shown: Array<typeof NotificationAttempts.Type["items"][number]> = []
  const load = async (cursor: string | undefined) => {
    const page = await get(NotificationAttempts, path, { limit: 20, ...(cursor === undefined ? {} : { cursor }) })
    shown.push(...page.items)
    replace(into, table(`Delivery log of endpoint ${endpointId}, newest first`, [
      { label: "Attempted", cell: (a) => dateTime(a.attemptedAt) },
      { label: "Type", cell: (a) => a.type },
      { label: "Attempt", numeric: true, cell: (a) => String(a.attempt) },
      { label: "Outcome", cell: (a) => a.outcome },
      { label: "Status", numeric: true, cell: (a) => (a.statusCode === null ? "—" : String(a.statusCode)) },
      { label: "Latency", numeric: true, cell: (a) => `${number(a.latencyMs)} ms` },
      { label: "Error", cell: (a) => a.error ?? "" },
      { label: "Next retry", cell: (a) => dateTime(a.nextRetryAt) }
    ], shown), moreButton(page.nextCursor, "Older attempts", (next) => showing(into, () => load(next))))
  }
  await load(undefined)
})

/** The org's notification endpoints (org token): health, the log of each, re-enable what the dispatcher disabled. */
const endpointsPart = (redraw: () => void) => section("Notification endpoints", async (into) => {
  const { items } = await get(NotificationEndpoints, "/notification-endpoints")
  const status = h("div", {})
  const enable = (id: string) => showing(status, async () => {
    await request(EndpointChanged, "PATCH", `/notification-endpoints/${encodeURIComponent(id)}`, { body: { enabled: true } })
    redraw()
  })
  replace(into, h("h2", {}, "Notification endpoints"), status,
    items.length === 0 ? notice("No notification endpoints: POST /notification-endpoints adds one (docs/notifications.md).") : null,
    ...items.map((e) => h("article", { class: "endpoint", "data-endpoint": e.id },
      // The host only: a chat webhook's path is its secret.
      h("h3", {}, `${new URL(e.url).host} · ${e.format}`),
      h("dl", { class: "facts" },
        h("dt", {}, "Events"), h("dd", {}, e.events.join(", ")),
        h("dt", {}, "State"), h("dd", { "data-metric": "state" }, e.enabled ? (e.failingSince === null ? "healthy" : `failing since ${dateTime(e.failingSince)}`) : `disabled: ${e.disabledReason ?? ""}`),
        h("dt", {}, "Failures in a row"), h("dd", {}, number(e.consecutiveFailures))),
      e.enabled ? null : h("button", { type: "button", onclick: () => enable(e.id) }, `Re-enable ${e.id}`),
      h("details", {}, h("summary", {}, "Delivery log"), deliveryLog(e.id)))))
})

/** The operator's view: the ingest backlog and dead letters (admin key), the org's notification endpoints (org token). */
export const operationsView: View = (root) => {
  const admin = adminCredentials() !== undefined
  const org = orgCredentials() !== undefined
  const draw = (): void => replace(root,
    heading("Operations"),
    h("div", { class: "toolbar" }, h("button", { type: "button", onclick: draw }, "Refresh")),
    admin ? [inboxPart(), deadLettersPart(draw)] : [notice("The inbox and dead letters need the admin key."), h("a", { href: "#/sign-in" }, "Sign in as operator")],
    org ? endpointsPart(draw) : null)
  draw()
}
