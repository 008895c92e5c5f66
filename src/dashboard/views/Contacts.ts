import { get, request } from "../client.js"
import { dateTime, field, h, heading, notice, replace, table } from "../dom.js"
import type { Contact } from "../schemas.js"
import { AuditPage, Contact as ContactSchema, ContactPage, SuppressionCheck, SuppressionLifted } from "../schemas.js"
import type { View } from "../view.js"
import { section, showing } from "../view.js"

/** The streams a suppression may be scoped to that the check is asked about, beside the contact's own opt-outs. */
const knownCategories = ["transactional", "billing", "product", "marketing"]

interface Address {
  readonly channel: string
  readonly address: string
}

const addressesOf = (contact: Contact): ReadonlyArray<Address> => [
  ...(contact.email === null ? [] : [{ channel: "email", address: contact.email }]),
  ...(contact.phone === null ? [] : [{ channel: "sms", address: contact.phone }]),
  ...(contact.whatsapp === null ? [] : [{ channel: "whatsapp", address: contact.whatsapp }]),
  ...contact.pushTokens.map((token) => ({ channel: "push", address: token.token }))
]

/** What the typed text is: an email address, or a phone number (looked up as an import normalizes it). */
const lookupOf = (text: string): Address => (text.includes("@") ? { channel: "email", address: text } : { channel: "sms", address: text })

/**
 * The suppressions of the addresses: the check answers the one that applies to a send of a category,
 * so it is asked once for the whole channel and once per stream the contact might be suppressed on.
 */
const suppressionsOf = async (addresses: ReadonlyArray<Address>, categories: ReadonlyArray<string>) => {
  const asks = addresses.flatMap((address) => [undefined, ...categories].map((category) => ({ ...address, category })))
  const answers = await Promise.all(asks.map(async (ask) => ({
    ask,
    found: (await request(SuppressionCheck, "POST", "/suppressions/check", { body: { channel: ask.channel, addresses: [ask.address], ...(ask.category === undefined ? {} : { category: ask.category }) } })).suppressed
  })))
  const seen = new Map<string, { channel: string; address: string; reason: string; category: string | null; createdAt: string }>()
  for (const { ask, found } of answers) for (const s of found) seen.set(`${ask.channel}\n${ask.address}\n${s.category ?? ""}`, { channel: ask.channel, address: ask.address, reason: s.reason, category: s.category, createdAt: s.createdAt })
  return [...seen.values()]
}

const liftForm = (entry: Address, done: () => void) => {
  const reason = h("input", { type: "text", name: "reason", required: true, maxlength: 1000, autocomplete: "off" })
  const status = h("div", {})
  return h("form", {
    class: "inline",
    onsubmit: (event: Event) => {
      event.preventDefault()
      showing(status, async () => {
        await request(SuppressionLifted, "DELETE", `/suppressions/${encodeURIComponent(entry.channel)}/${encodeURIComponent(entry.address)}`, { body: { reason: reason.value } })
        done()
      })
    }
  }, field(`Reason to lift ${entry.channel} suppression`, reason), h("button", { type: "submit" }, "Lift"), status)
}

const contactPart = (typed: string, redraw: () => void) => section("Contact", async (into) => {
  const lookup = lookupOf(typed)
  const found = await get(ContactPage, "/contacts", lookup.channel === "email" ? { email: lookup.address, pageSize: 1 } : { phone: lookup.address, pageSize: 1 })
  const first = found.items[0]
  const contact = first === undefined ? undefined : await get(ContactSchema, `/contacts/${encodeURIComponent(first.id)}`)
  const addresses = contact === undefined ? [lookup] : addressesOf(contact)
  const categories = [...new Set([...knownCategories, ...(contact?.optedOut ?? []).flatMap((entry) => entry.split(":").slice(1))])]
  const [suppressions, audit] = await Promise.all([
    suppressionsOf(addresses, categories),
    Promise.all(addresses.map((a) => get(AuditPage, "/audit", { subject: `${a.channel}:${a.address}`, limit: 50 })))
  ])
  replace(into,
    contact === undefined
      ? notice(`No contact holds ${typed}; its suppressions and audit entries, if any, are below.`)
      : [h("h2", {}, "Flags"),
        h("dl", { class: "facts" },
          h("dt", {}, "Email"), h("dd", {}, contact.email ?? "—"),
          h("dt", {}, "Phone"), h("dd", {}, contact.phone ?? "—"),
          h("dt", {}, "WhatsApp"), h("dd", {}, contact.whatsapp ?? "—"),
          h("dt", {}, "Bounced on"), h("dd", {}, contact.bouncedChannels.join(", ") || "no channel"),
          h("dt", {}, "Opted out of"), h("dd", {}, contact.optedOut.join(", ") || "nothing"),
          h("dt", {}, "Push tokens"), h("dd", {}, contact.pushTokens.map((t) => `${t.token} (${t.active ? "active" : "inactive"})`).join(", ") || "none"),
          h("dt", {}, "Last engaged"), h("dd", {}, Object.entries(contact.lastEngagedAt).map(([channel, at]) => `${channel} ${dateTime(at)}`).join(", ") || "never"),
          h("dt", {}, "Created"), h("dd", {}, dateTime(contact.createdAt)))],
    h("h2", {}, "Suppressions"),
    table("Suppressions of the contact's addresses", [
      { label: "Channel", cell: (s) => s.channel },
      { label: "Address", cell: (s) => s.address },
      { label: "Scope", cell: (s) => s.category ?? "whole channel" },
      { label: "Reason", cell: (s) => s.reason },
      { label: "Since", cell: (s) => dateTime(s.createdAt) },
      { label: "Lift", cell: (s) => liftForm(s, redraw) }
    ], suppressions),
    h("h2", {}, "Activities"),
    table("The contact's activities, newest first", [
      { label: "When", cell: (a) => dateTime(a.occurredAt) },
      { label: "What", cell: (a) => a.title },
      { label: "Reason", cell: (a) => a.reason ?? "" }
    ], contact?.activities ?? []),
    h("h2", {}, "Audit entries"),
    table("Audit entries of the contact's addresses, newest first", [
      { label: "When", cell: (e) => dateTime(e.createdAt) },
      { label: "Action", cell: (e) => e.action },
      { label: "Subject", cell: (e) => e.subject },
      { label: "By", cell: (e) => e.actor },
      { label: "Details", cell: (e) => JSON.stringify(e.details) }
    ], audit.flatMap((page) => page.items).toSorted((a, b) => b.createdAt.localeCompare(a.createdAt))))
})

/** Look a contact up by email or phone: flags, opt-outs, suppressions (lifted with a reason), activities, audit. */
export const contactsView: View = (root, [initial]) => {
  const address = h("input", { type: "search", name: "address", required: true, autocomplete: "off", spellcheck: "false", value: initial ?? "" })
  const results = h("div", {})
  const find = (): void => replace(results, contactPart(address.value.trim(), find))
  replace(root,
    heading("Contacts"),
    h("form", { role: "search", class: "toolbar", onsubmit: (event: Event) => { event.preventDefault(); find() } },
      field("Email or phone number", address), h("button", { type: "submit" }, "Look up")),
    results)
  if (initial !== undefined && initial !== "") find()
}
