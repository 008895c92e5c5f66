import { Schema } from "effect"
import type { EventType } from "../domain/Event.js"

/** What an endpoint can subscribe to (docs/notifications.md has each one's data). */
export const NotificationType = Schema.Literal(
  "delivery.bounced", "delivery.complained", "delivery.unsubscribed", "delivery.failed", "delivery.opened", "delivery.clicked",
  "contact.suppressed", "sender.flagged", "sender.unflagged", "health.critical", "health.recovered", "endpoint.disabled"
)
export type NotificationType = typeof NotificationType.Type
export const notificationTypes: ReadonlyArray<NotificationType> = NotificationType.literals

/** The pipeline's events that notify, by the normalized type; the others (sent, delivered, deferrals…) never do. */
export const typeOfEvent: Partial<Record<EventType, NotificationType>> = {
  bounced: "delivery.bounced", complained: "delivery.complained", unsubscribed: "delivery.unsubscribed",
  failed: "delivery.failed", opened: "delivery.opened", clicked: "delivery.clicked"
}

export const Format = Schema.Literal("standard", "slack", "discord")
export type Format = typeof Format.Type

/** The body of the standard format, stored with each message: `{ type, timestamp, data }`. */
export const Payload = Schema.Struct({
  type: Schema.String,
  timestamp: Schema.String,
  data: Schema.Record({ key: Schema.String, value: Schema.Unknown })
})
export type Payload = typeof Payload.Type

const text = (value: unknown) => (typeof value === "string" || typeof value === "number" ? String(value) : "")
const suffix = (label: string, value: unknown) => (text(value) === "" ? "" : ` · ${label} ${text(value)}`)

/** One line a person reads in a chat channel. */
export const summary = ({ type, data }: Payload): string => {
  const who = `${text(data.recipient ?? data.address)} (${text(data.channel)})`
  switch (type) {
    case "delivery.bounced":
      return `Bounced: ${who}${suffix("—", data.reason)}${suffix("broadcast", data.broadcastId)}`
    case "delivery.complained":
      return `Spam complaint: ${who}${suffix("broadcast", data.broadcastId)}`
    case "delivery.unsubscribed":
      return `Unsubscribed: ${who}${suffix("category", data.category)}${suffix("broadcast", data.broadcastId)}`
    case "delivery.failed":
      return `Failed: ${who}${suffix("—", data.reason)}`
    case "delivery.opened":
      return `Opened: ${who}${suffix("broadcast", data.broadcastId)}`
    case "delivery.clicked":
      return `Clicked: ${who}${suffix("link", data.url)}`
    case "contact.suppressed":
      return `Suppressed: ${who}, reason ${text(data.reason)}${suffix("category", data.category)}`
    case "sender.flagged":
      return `Sender account ${text(data.senderAccountId)} flagged${suffix("—", data.reason)}`
    case "sender.unflagged":
      return `Sender account ${text(data.senderAccountId)} unflagged`
    case "health.critical":
      return `Deliverability health is critical: ${Array.isArray(data.alerts) ? data.alerts.map((a) => text((a as { message?: unknown }).message)).join("; ") : ""}`
    case "health.recovered":
      return `Deliverability health recovered (now ${text(data.status)})`
    case "endpoint.disabled":
      return `Notification endpoint ${text(data.endpointId)} (${text(data.host)}) was disabled${suffix("—", data.reason)}`
    case "endpoint.test":
      return "Test notification from Sendtrail: this endpoint receives notifications"
    default:
      return type
  }
}

/** The bytes sent for a message in the endpoint's format (standard: the stored payload as is). */
export const render = (format: Format, payload: Payload): string => {
  switch (format) {
    case "standard":
      return JSON.stringify(payload)
    case "slack":
      // Slack's control characters escaped: a bounce reason saying <!channel> must not ping the channel.
      return JSON.stringify({ text: `[Sendtrail] ${summary(payload)}`.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;") })
    case "discord":
      // Discord refuses content over 2,000 characters; no mention in it (an @everyone in a reason) pings anyone.
      return JSON.stringify({ content: `[Sendtrail] ${summary(payload)}`.slice(0, 2000), allowed_mentions: { parse: [] } })
  }
}
