import { DateTime, ParseResult, Schema, Struct } from "effect"
import type { DeliveryStatus, Milestones } from "../domain/Delivery.js"
import { Delivery, DeliveryEvent, statusPrecedence } from "../domain/Delivery.js"
import { AddressChannel, Category } from "../domain/Event.js"
import { DeadLetter, rawBodyFields } from "../domain/Ingest.js"
import { OrgMatch } from "../domain/OrgMatch.js"
import { Activity, AuditEntry, Broadcast, BroadcastRecipient, Connection, Contact, SenderAccount, Suppression } from "../domain/Records.js"

/**
 * The persisted rows, one Schema per table: each decodes a row as pg hands it over (snake_case
 * columns, timestamptz as Date, numeric as text) into its domain record. A row of another shape fails
 * with a ParseError naming the column, which the repositories turn into a defect. Rows are only read
 * through these Schemas; writes are statements of their own.
 */

/** A field read from its snake_case column (a decode error names the column). */
export const column = <const Name extends string, S extends Schema.Schema.All>(name: Name, schema: S) =>
  Schema.propertySignature(schema).pipe(Schema.fromKey(name))

export const Timestamp = Schema.DateTimeUtcFromDate
export const NullableTimestamp = Schema.NullOr(Schema.DateTimeUtcFromDate)
const NullableString = Schema.NullOr(Schema.String)

/** A Schema that decodes rows into records and refuses to encode (no write goes through it). */
const readOnly = <F extends Schema.Schema.Any, T extends Schema.Schema.Any>(
  from: F, to: T, decode: (row: Schema.Schema.Type<F>) => Schema.Schema.Encoded<T>
) =>
  Schema.transformOrFail(from, to, {
    strict: true,
    decode: (row) => ParseResult.succeed(decode(row)),
    encode: (value, _, ast) => ParseResult.fail(new ParseResult.Forbidden(ast, value, "a row Schema only reads"))
  })

export const SuppressionRow = Schema.Struct({
  ...Suppression.fields,
  orgId: column("org_id", Schema.String),
  /** '' in the table (it is part of the key) for a suppression of the whole channel. */
  category: Schema.transform(Schema.Union(Schema.Literal(""), Category), Schema.NullOr(Category), {
    strict: true,
    decode: (category) => (category === "" ? null : category),
    encode: (category) => category ?? ""
  }),
  createdAt: column("created_at", Timestamp)
})

export const ConnectionRow = Schema.Struct({
  ...Connection.fields,
  orgId: column("org_id", Schema.String),
  createdAt: column("created_at", Timestamp)
})

export const BroadcastRow = Schema.Struct({
  ...Broadcast.fields,
  orgId: column("org_id", Schema.String),
  createdAt: column("created_at", Timestamp)
})

export const BroadcastRecipientRow = Schema.Struct({
  ...BroadcastRecipient.fields,
  broadcastId: column("broadcast_id", Schema.String),
  contactId: column("contact_id", NullableString),
  removedAt: column("removed_at", NullableTimestamp),
  removedReason: column("removed_reason", NullableString)
})

export const ContactRow = Schema.Struct({
  ...Contact.fields,
  orgId: column("org_id", Schema.String),
  inApp: column("in_app", Contact.fields.inApp),
  bouncedChannels: column("bounced_channels", Contact.fields.bouncedChannels),
  optedOut: column("opted_out", Contact.fields.optedOut),
  pushTokens: column("push_tokens", Contact.fields.pushTokens),
  createdAt: column("created_at", Timestamp),
  updatedAt: column("updated_at", Timestamp)
})

export const ActivityRow = Schema.Struct({
  ...Activity.fields,
  orgId: column("org_id", Schema.String),
  contactId: column("contact_id", NullableString),
  deliveryId: column("delivery_id", Schema.NullOr(Schema.Number)),
  occurredAt: column("occurred_at", Timestamp)
})

export const AuditRow = Schema.Struct({
  ...AuditEntry.fields,
  orgId: column("org_id", Schema.String),
  sourceKey: column("source_key", NullableString),
  createdAt: column("created_at", Timestamp)
})

export const SenderAccountRow = Schema.Struct({
  ...SenderAccount.fields,
  orgId: column("org_id", Schema.String),
  bounceRate: column("bounce_rate", Schema.Number),
  complaintRate: column("complaint_rate", Schema.Number),
  flaggedAt: column("flagged_at", NullableTimestamp),
  flaggedReason: column("flagged_reason", NullableString),
  updatedAt: column("updated_at", Timestamp)
})

export const DeadLetterRow = readOnly(
  Schema.Struct({
    ...Struct.omit(DeadLetter.fields, "rawBody", "rawBodyBase64"),
    orgId: column("org_id", Schema.String),
    inboxId: column("inbox_id", Schema.NullOr(Schema.Number)),
    rawBody: column("raw_body", Schema.NullOr(Schema.Uint8ArrayFromSelf)),
    createdAt: column("created_at", Timestamp),
    replayedAt: column("replayed_at", NullableTimestamp)
  }),
  Schema.typeSchema(DeadLetter),
  ({ rawBody, ...row }) => ({ ...row, ...rawBodyFields(rawBody) })
)

/** The first-reached time of each status, a column each (`delivered_at`, …). */
const milestoneFields = <S extends Schema.Schema.Any>(at: S) => ({
  queued_at: at,
  sent_at: at,
  delivered_at: at,
  opened_at: at,
  clicked_at: at,
  failed_at: at,
  bounced_at: at,
  unsubscribed_at: at,
  complained_at: at
}) satisfies Record<`${DeliveryStatus}_at`, S>
const milestoneColumns = milestoneFields(NullableTimestamp)

const milestonesOf = (row: Schema.Struct.Type<typeof milestoneColumns>): Milestones => {
  const milestones: { -readonly [K in keyof Milestones]: Milestones[K] } = {}
  for (const status of statusPrecedence) {
    const at = row[`${status}_at`]
    if (at !== null) milestones[status] = at
  }
  return milestones
}

/** The delivery columns every reader of deliveries shares; the milestones gathered into one record. */
const deliveryColumns = {
  ...Struct.omit(Delivery.fields, "milestones", "cost", "createdAt", "updatedAt"),
  orgId: column("org_id", Schema.String),
  broadcastId: column("broadcast_id", NullableString),
  contactId: column("contact_id", NullableString),
  providerMessageId: column("provider_message_id", NullableString),
  senderAccountId: column("sender_account_id", NullableString),
  errorReason: column("error_reason", NullableString),
  decidedAt: column("decided_at", NullableTimestamp),
  decidedBy: column("decided_by", NullableString),
  ...milestoneColumns
}

export const DeliveryRow = readOnly(
  Schema.Struct({
    ...deliveryColumns,
    costValue: column("cost_value", Schema.NullOr(Schema.NumberFromString)),
    costUnit: column("cost_unit", NullableString),
    createdAt: column("created_at", Timestamp),
    updatedAt: column("updated_at", Timestamp)
  }),
  Schema.typeSchema(Delivery),
  ({ costValue, costUnit, ...row }) => ({
    ...row,
    cost: costValue === null || costUnit === null ? null : { value: costValue, unit: costUnit },
    milestones: milestonesOf(row)
  })
)

/**
 * A delivery as the pipeline reads it (ProjectionLoad): its state and its key. The hot path's exception:
 * the statement names the columns as these fields (`deliveryStateColumns`) and the milestones are
 * gathered after the decoding (`deliveryState`), because renaming keys (`fromKey`) or transforming
 * inside the Schema costs about three times as much per row as a plain Struct, and a batch reads
 * thousands of rows (docs/decisions.md).
 */
export const DeliveryStateRow = Schema.Struct({
  ...Struct.omit(Delivery.fields, "milestones", "cost", "createdAt", "updatedAt"),
  decidedAt: NullableTimestamp,
  humanOpened: Schema.Boolean,
  humanClicked: Schema.Boolean,
  ...milestoneFields(Schema.NullOr(Schema.DateFromSelf))
})

export const deliveryStateColumns = `d.id, d.org_id AS "orgId", d.provider, d.provider_message_id AS "providerMessageId", d.recipient,
  d.channel, d.broadcast_id AS "broadcastId", d.contact_id AS "contactId", d.sender_account_id AS "senderAccountId", d.status,
  d.error_reason AS "errorReason", d.decided_at AS "decidedAt", d.decided_by AS "decidedBy", d.human_opened AS "humanOpened",
  d.human_clicked AS "humanClicked", ${statusPrecedence.map((s) => `d.${s}_at`).join(", ")}`

export const deliveryState = (row: typeof DeliveryStateRow.Type) => {
  const milestones: { -readonly [K in keyof Milestones]: Milestones[K] } = {}
  for (const status of statusPrecedence) {
    const at = row[`${status}_at`]
    if (at !== null) milestones[status] = DateTime.unsafeFromDate(at)
  }
  return { ...row, milestones }
}

export const DeliveryEventRow = Schema.Struct({
  ...DeliveryEvent.fields,
  deliveryId: column("delivery_id", Schema.Number),
  orgId: column("org_id", Schema.String),
  occurredAt: column("occurred_at", Timestamp),
  receivedAt: column("received_at", Timestamp),
  providerEventName: column("provider_event_name", NullableString),
  providerEventId: column("provider_event_id", Schema.String)
})

/** A row of the durable inbox as the pipeline claims it. */
export const InboxEntryRow = Schema.Struct({
  id: Schema.Number,
  event: Schema.Unknown,
  attempts: Schema.Number,
  receivedAt: column("received_at", Schema.DateFromSelf),
  orgMatch: column("org_match", Schema.NullOr(OrgMatch))
})

/** A Telegram bot as its org sees it: its token and secret are read only where they are checked. */
export const TelegramBotRow = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  createdAt: column("created_at", Timestamp)
})

/** An org's standing daily sunset for one channel and stream, and how its last run went. */
export const SunsetScheduleRow = Schema.Struct({
  channel: AddressChannel,
  category: Schema.String,
  unengagedFor: column("unengaged_for", Schema.String),
  createdBy: column("created_by", Schema.String),
  createdAt: column("created_at", Timestamp),
  lastRunAt: column("last_run_at", NullableTimestamp),
  lastBatchId: column("last_batch_id", NullableString),
  lastSuppressed: column("last_suppressed", Schema.NullOr(Schema.Number))
})
