import type { DateTime } from "effect"
import { Effect, Schema } from "effect"
import { jsonTextProblem } from "../domain/JsonText.js"
import type { EventDetails, EventType, NormalizedEvent } from "../domain/Event.js"
import { normalizeAddress } from "../domain/Event.js"
import { isMachineUserAgent } from "../domain/Machine.js"
import { correlationOf, enhancedStatusIn, instant, NonBlank, oneOf, optional, Text } from "./Fields.js"
import { decodeFirst, PayloadRejected, show } from "./Webhook.js"

const Timestamp = instant(`an ISO-8601 date-time such as "2017-08-05T00:41:02.669Z"`)

const Addresses = Schema.NonEmptyArray(NonBlank)
const Recipient = Schema.Struct({ emailAddress: NonBlank, status: Text, diagnosticCode: Text })

const mailFields = {
  messageId: NonBlank,
  timestamp: Timestamp,
  tags: optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
}
const Mail = Schema.Struct({ ...mailFields, destination: Schema.optional(Schema.Array(Schema.String)) })
const MailTo = Schema.Struct({ ...mailFields, destination: Addresses })
type Mail = typeof Mail.Type

const Preferences = Schema.NullOr(Schema.Struct({
  unsubscribeAll: optional(Schema.Boolean),
  topicSubscriptionStatus: optional(Schema.Array(Schema.Struct({ topicName: Schema.String, subscriptionStatus: Schema.String })))
}))

interface Row {
  readonly address: string
  readonly type: EventType
  readonly at: DateTime.Utc
  readonly details: EventDetails
}

/** Keeps the fields that have a value, so optional properties are absent rather than undefined. */
const defined = <T extends Record<string, unknown>>(fields: T) =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value != null)) as { [K in keyof T]?: Exclude<T[K], null | undefined> }

const enhancedStatus = (status: string | null | undefined, diagnosticCode: string | null | undefined): string | undefined =>
  enhancedStatusIn(status) ?? enhancedStatusIn(diagnosticCode)

const each = (addresses: ReadonlyArray<string>, row: Omit<Row, "address">): ReadonlyArray<Row> =>
  addresses.map((address) => ({ address, ...row }))

const engagement = (event: { readonly ipAddress?: string | null | undefined; readonly userAgent?: string | null | undefined }) =>
  defined({
    ip: event.ipAddress,
    userAgent: event.userAgent,
    machine: isMachineUserAgent(event.userAgent ?? undefined) ? true : undefined
  })

type OptOut = typeof Preferences.Type

/** A subscription event is an unsubscribe when it opts out of everything or of a topic that was not opted out before. */
const optOut = (now: OptOut | undefined, before: OptOut | undefined): string | undefined => {
  if (now?.unsubscribeAll === true) return "unsubscribed from all topics"
  const was = new Map((before?.topicSubscriptionStatus ?? []).map((topic) => [topic.topicName, topic.subscriptionStatus]))
  const topics = (now?.topicSubscriptionStatus ?? [])
    .filter((topic) => topic.subscriptionStatus === "OptOut" && was.get(topic.topicName) !== "OptOut")
    .map((topic) => topic.topicName)
  return topics.length === 0 ? undefined : `opted out of ${topics.join(", ")}`
}

interface Kind {
  readonly decode: (json: unknown) => Effect.Effect<{ readonly mail: Mail; readonly rows: ReadonlyArray<Row> }, PayloadRejected>
}

const kind = <A extends { readonly mail: Mail }, I>(schema: Schema.Schema<A, I>, rows: (event: A) => ReadonlyArray<Row>): Kind => {
  const decode = decodeFirst(schema)
  return { decode: (json) => Effect.map(decode(json), (event) => ({ mail: event.mail, rows: rows(event) })) }
}

const renderingFailure = kind(
  Schema.Struct({ mail: MailTo, failure: optional(Schema.Struct({ errorMessage: Text, templateName: Text })) }),
  ({ mail, failure }) => {
    const template = failure?.templateName == null ? "" : ` (template ${failure.templateName})`
    return each(mail.destination, { type: "failed", at: mail.timestamp, details: { reason: `${failure?.errorMessage ?? "rendering failed"}${template}` } })
  }
)

/** Each SES event or notification type, with where its recipients and its time are (PROVIDERS.md 3.5). */
const kinds: Readonly<Record<string, Kind>> = {
  Bounce: kind(
    Schema.Struct({
      mail: Mail,
      bounce: Schema.Struct({ bounceType: Schema.String, bounceSubType: Text, bouncedRecipients: Schema.NonEmptyArray(Recipient), timestamp: Timestamp })
    }),
    ({ bounce }) => {
      const hard = bounce.bounceType === "Permanent"
      return bounce.bouncedRecipients.map((recipient) => ({
        address: recipient.emailAddress,
        type: hard ? "bounced" : "soft_bounced",
        at: bounce.timestamp,
        details: defined({
          bounceKind: hard ? "hard" : "soft",
          enhancedStatus: enhancedStatus(recipient.status, recipient.diagnosticCode),
          reason: recipient.diagnosticCode ?? `${bounce.bounceType}/${bounce.bounceSubType ?? "General"} bounce`
        })
      }))
    }
  ),
  Complaint: kind(
    Schema.Struct({
      mail: Mail,
      complaint: Schema.Struct({
        complainedRecipients: Schema.NonEmptyArray(Schema.Struct({ emailAddress: NonBlank })),
        timestamp: Timestamp,
        complaintFeedbackType: Text,
        complaintSubType: Text
      })
    }),
    ({ complaint }) =>
      each(complaint.complainedRecipients.map((recipient) => recipient.emailAddress), {
        type: "complained",
        at: complaint.timestamp,
        details: defined({ reason: complaint.complaintFeedbackType ?? complaint.complaintSubType })
      })
  ),
  Delivery: kind(
    Schema.Struct({ mail: Mail, delivery: Schema.Struct({ recipients: Addresses, timestamp: Timestamp }) }),
    ({ delivery }) => each(delivery.recipients, { type: "delivered", at: delivery.timestamp, details: {} })
  ),
  Send: kind(Schema.Struct({ mail: MailTo }), ({ mail }) => each(mail.destination, { type: "sent", at: mail.timestamp, details: {} })),
  Reject: kind(
    Schema.Struct({ mail: MailTo, reject: optional(Schema.Struct({ reason: Text })) }),
    ({ mail, reject }) =>
      each(mail.destination, { type: "failed", at: mail.timestamp, details: { reason: `rejected by SES: ${reject?.reason ?? "no reason given"}` } })
  ),
  "Rendering Failure": renderingFailure,
  RenderingFailure: renderingFailure,
  DeliveryDelay: kind(
    Schema.Struct({
      mail: Mail,
      deliveryDelay: Schema.Struct({ timestamp: Timestamp, delayType: Text, delayedRecipients: Schema.NonEmptyArray(Recipient) })
    }),
    ({ deliveryDelay }) =>
      deliveryDelay.delayedRecipients.map((recipient) => ({
        address: recipient.emailAddress,
        type: "deferred",
        at: deliveryDelay.timestamp,
        details: defined({
          enhancedStatus: enhancedStatus(recipient.status, recipient.diagnosticCode),
          reason: recipient.diagnosticCode ?? deliveryDelay.delayType
        })
      }))
  ),
  Open: kind(
    Schema.Struct({ mail: MailTo, open: Schema.Struct({ timestamp: Timestamp, ipAddress: Text, userAgent: Text }) }),
    ({ mail, open }) => each(mail.destination, { type: "opened", at: open.timestamp, details: engagement(open) })
  ),
  Click: kind(
    Schema.Struct({ mail: MailTo, click: Schema.Struct({ timestamp: Timestamp, ipAddress: Text, userAgent: Text, link: Text }) }),
    ({ mail, click }) => each(mail.destination, { type: "clicked", at: click.timestamp, details: { ...engagement(click), ...defined({ url: click.link }) } })
  ),
  Subscription: kind(
    Schema.Struct({
      mail: MailTo,
      subscription: Schema.Struct({
        timestamp: Timestamp,
        contactList: Text,
        source: Text,
        newTopicPreferences: Schema.optional(Preferences),
        oldTopicPreferences: Schema.optional(Preferences)
      })
    }),
    ({ mail, subscription }) => {
      const what = optOut(subscription.newTopicPreferences, subscription.oldTopicPreferences)
      if (what === undefined) return []
      const list = subscription.contactList == null ? "" : ` of contact list ${subscription.contactList}`
      const via = subscription.source == null ? "" : ` via ${subscription.source}`
      return each(mail.destination, { type: "unsubscribed", at: subscription.timestamp, details: { reason: `${what}${list}${via}` } })
    }
  )
}

/** The names SES documents; "RenderingFailure" is also read, in case a sender writes the API's spelling. */
export const eventNames = Object.keys(kinds).filter((name) => name !== "RenderingFailure")

/** SES publishes this plain-text message when an SNS event destination is added; it is no event. */
const destinationTest = "Successfully validated SNS topic for Amazon SES event publishing."
/** SES's test notification when an identity's feedback topic is set. */
const subscriptionSucceeded = "AmazonSnsSubscriptionSucceeded"

const within = (error: PayloadRejected) =>
  new PayloadRejected({
    path: error.path === "" ? "Message" : `Message.${error.path}`,
    message: error.path === "" ? error.message.replace(/^body/, "Message") : `Message.${error.message}`
  })

const decodeName = decodeFirst(
  Schema.Struct({ eventType: Text, notificationType: Text }).annotations({
    message: (issue) => `expected an SES notification object, got ${show(issue.actual)}`
  })
)

/** `Display Name <address>` keeps only the address. */
const addressOf = (text: string) => normalizeAddress("email", /<([^<>]*)>\s*$/.exec(text)?.[1] ?? text)

/** SES message tags hold arrays of strings (SES "Event publishing": the mail object); the first non-blank one counts. */
const tag = (tags: Mail["tags"], name: string): string | undefined => {
  const value = tags != null && Object.hasOwn(tags, name) ? tags[name] : undefined
  const first: unknown = Array.isArray(value) ? value[0] : value
  return typeof first === "string" && first.trim() !== "" ? first : undefined
}

/** The SES notification inside an SNS `Message`: one normalized event per recipient, keyed by the SNS MessageId. */
export const decodeMessage = Effect.fnUntraced(function* (message: string, snsMessageId: string, orgId: string) {
  if (message.trim() === destinationTest) return []
  const problem = jsonTextProblem(message)
  if (problem !== undefined) return yield* new PayloadRejected({ path: "Message", message: `Message: ${problem}` })
  const json = yield* Effect.try({
    try: (): unknown => JSON.parse(message),
    catch: (error) =>
      new PayloadRejected({ path: "Message", message: `Message is not a JSON SES notification: ${error instanceof Error ? error.message : String(error)}` })
  })
  const names = yield* Effect.mapError(decodeName(json), within)
  const name = names.eventType ?? names.notificationType ?? ""
  if (name === subscriptionSucceeded) return []
  const found = Object.hasOwn(kinds, name) ? kinds[name] : undefined
  if (found === undefined) {
    const expected = `expected ${oneOf(eventNames)}`
    return yield* new PayloadRejected({
      path: "Message.eventType",
      message: name === ""
        ? `Message.eventType (or notificationType) is missing: ${expected}`
        : `Message.eventType (or notificationType): ${expected}, got ${show(name)}`
    })
  }
  const { mail, rows } = yield* Effect.mapError(found.decode(json), within)
  const ids = correlationOf((key) => tag(mail.tags, key))
  const seen = new Set<string>()
  const events: Array<NormalizedEvent> = []
  for (const row of rows) {
    const recipient = addressOf(row.address)
    if (recipient === "") return yield* new PayloadRejected({ path: "Message", message: `Message: recipient ${show(row.address)} has no address` })
    if (seen.has(recipient)) continue
    seen.add(recipient)
    events.push({
      orgId,
      provider: "ses",
      providerEventId: `${snsMessageId.trim()}:${recipient}`,
      providerEventName: name,
      providerMessageId: mail.messageId.trim(),
      recipient,
      channel: "email",
      type: row.type,
      occurredAt: row.at,
      ...ids,
      details: row.details
    })
  }
  return events
})
