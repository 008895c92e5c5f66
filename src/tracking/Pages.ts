import type { Category, Channel } from "../domain/Event.js"

/**
 * The pages a recipient sees: plain, self-contained HTML (no script, no external asset), every
 * interpolated value escaped. Addresses are shown masked: the page may be opened from forwarded mail.
 */

const entities: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" }
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => entities[c] ?? c)

/** a•••@example.com; •••4567 for a phone number; push tokens are never shown. */
export const maskAddress = (channel: Channel, address: string): string => {
  if (channel === "push") return "this device"
  if (channel === "email") {
    const at = address.lastIndexOf("@")
    return at <= 0 ? "•••" : `${address.slice(0, 1)}•••${address.slice(at)}`
  }
  const digits = address.replace(/\D/g, "")
  return `•••${digits.slice(-4)}`
}

const nouns: Record<Channel, string> = { email: "email", sms: "text messages", whatsapp: "WhatsApp messages", push: "push notifications", telegram: "Telegram messages", in_app: "in-app messages" }

/** What an unsubscribe stops: "marketing email", or "all email" when the link names no category. */
export const scopeOf = (channel: Channel, category: Category | undefined): string =>
  `${category ?? "all"} ${nouns[channel]}`

export interface Recipient {
  readonly channel: Channel
  readonly address: string
  readonly category: Category | undefined
  /** The broadcast's name, when the message was one. */
  readonly listName: string | undefined
}

const page = (title: string, body: string): string => `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1a1a1a; background: #f6f6f6; }
main { max-width: 32rem; margin: 4rem auto; padding: 2rem; background: #fff; border-radius: 8px; }
h1 { font-size: 1.5rem; margin-top: 0; }
button { font: inherit; padding: .6rem 1.4rem; border: 0; border-radius: 6px; background: #1d4ed8; color: #fff; cursor: pointer; }
button:focus-visible { outline: 3px solid #93c5fd; outline-offset: 2px; }
</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>
`

const who = (r: Recipient) => `<strong>${escapeHtml(maskAddress(r.channel, r.address))}</strong>`
const what = (r: Recipient) => `<strong>${escapeHtml(scopeOf(r.channel, r.category))}</strong>`
const list = (r: Recipient) => r.listName === undefined ? "" : `\n<p>List: <strong>${escapeHtml(r.listName)}</strong></p>`

/** The GET page: one button, which posts back to this same URL (the form has no action). */
export const confirmPage = (r: Recipient): string =>
  page("Unsubscribe", `<p>Stop sending ${what(r)} to ${who(r)}?</p>${list(r)}
<form method="post"><button type="submit">Unsubscribe</button></form>`)

export const unsubscribedPage = (r: Recipient): string =>
  page("You are unsubscribed", `<p>${who(r)} will no longer receive ${what(r)} from this sender.</p>${list(r)}`)

export const securityPage = (r: Recipient): string =>
  page("Nothing to unsubscribe", `<p>Security messages, such as sign-in codes and password resets, are always sent to ${who(r)}: they cannot be turned off, and nothing was changed.</p>`)

export const invalidLinkPage = (): string =>
  page("This link is no longer valid", "<p>The link may be incomplete or damaged. Try the newest message from this sender, or reply to it and ask to be removed.</p>")

export const unavailablePage = (): string =>
  page("Please try again", "<p>Your request could not be recorded just now. Please try again in a minute.</p>")

export const clickRefusedPage = (reason: string): string =>
  page("This link cannot be followed", `<p>${escapeHtml(reason.charAt(0).toUpperCase() + reason.slice(1))}.</p>`)
