import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as OpenApi from "@effect/platform/OpenApi"
import { Either, ParseResult, Schema } from "effect"
import { checkEmail, checkPhone } from "../contacts/Addresses.js"
import { contactCursor } from "../contacts/ContactList.js"
import { Channel } from "../domain/Event.js"
import { LastEngaged, PushToken } from "../domain/Records.js"
import { BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType } from "./Errors.js"
import { OrgAuth } from "./OrgAuth.js"
import { Flag, Instant, oneOf, PageSize } from "./Params.js"

export const ImportReport = Schema.Struct({
  created: Schema.Number,
  skipped: Schema.Number.annotations({ description: "rows whose address already belongs to a contact (left exactly as it was) or repeats an earlier row" }),
  invalid: Schema.Number,
  rows: Schema.Array(Schema.Struct({
    row: Schema.Number.annotations({ description: "1-based among the data rows (a CSV header is not counted)" }),
    outcome: Schema.Literal("created", "skipped", "invalid"),
    reason: Schema.optional(Schema.String),
    contactId: Schema.optional(Schema.String)
  })).annotations({ description: "every row of an import of up to 1000 rows; past that only skipped and invalid rows, 1000 at most" }),
  rowsOmitted: Schema.Number
})

export const ContactView = Schema.Struct({
  id: Schema.String,
  email: Schema.NullOr(Schema.String),
  phone: Schema.NullOr(Schema.String),
  whatsapp: Schema.NullOr(Schema.String),
  telegram: Schema.NullOr(Schema.String).annotations({ description: "the chat id of a recipient who wrote to one of the org's Telegram bots" }),
  inApp: Schema.NullOr(Schema.String).annotations({ description: "the sender's own user id in its app (channel in_app)" }),
  attributes: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  bouncedChannels: Schema.Array(Channel),
  optedOut: Schema.Array(Schema.String).annotations({ description: "a channel (\"email\") or a channel and category (\"email:marketing\")" }),
  pushTokens: Schema.Array(PushToken),
  lastEngagedAt: LastEngaged.annotations({ description: "per channel, the last open or click not flagged as a machine's; a channel never engaged on is absent" }),
  createdAt: Schema.DateTimeUtc,
  updatedAt: Schema.DateTimeUtc,
  activities: Schema.Array(Schema.Struct({
    id: Schema.Number,
    kind: Schema.String,
    title: Schema.String,
    reason: Schema.NullOr(Schema.String),
    deliveryId: Schema.NullOr(Schema.Number),
    occurredAt: Schema.DateTimeUtc
  })).annotations({ description: "the CRM timeline, newest first, at most 100" })
})

const id = HttpApiSchema.param("id", Schema.String)

/** An address as an import stores it (ContactImport: checkEmail, checkPhone), or a 400 saying why it is not one. */
const address = (check: (raw: string) => Either.Either<string, string>, description: string, jsonSchema: object) =>
  Schema.transformOrFail(Schema.String, Schema.String, {
    strict: true,
    decode: (text, _, ast) => Either.match(check(text), { onLeft: (why) => ParseResult.fail(new ParseResult.Type(ast, text, why)), onRight: ParseResult.succeed }),
    encode: ParseResult.succeed
  }).annotations({ description, jsonSchema: { type: "string", ...jsonSchema } })

const Bounced = Schema.Literal("true", "false", "email", "sms", "whatsapp", "push")

export const ContactListParams = Schema.Struct({
  email: Schema.optional(address(checkEmail, "exact, whatever its case", { format: "email" })),
  phone: Schema.optional(address(checkPhone, "exact, E.164 once spaces, dots, dashes and brackets are taken out", { pattern: "^[\\s().-]*\\+[\\d\\s().-]+$" })),
  q: Schema.optional(Schema.String.pipe(Schema.maxLength(255), Schema.pattern(/\S/)).annotations({
    message: () => ({ message: "expected 1 to 255 characters, not all spaces", override: true }),
    jsonSchema: { type: "string", maxLength: 255, pattern: "\\S" },
    description: "text in the email, phone, WhatsApp number or name, whatever its case"
  })),
  bounced: Schema.optional(oneOf(Bounced, "a flag or a channel").annotations({
    description: "true: bounced on some channel; false: on none; a channel: bounced on it"
  })),
  optedOut: Schema.optional(oneOf(Channel, "a channel").annotations({ description: "opted out of the channel or of one of its categories" })),
  suppressed: Schema.optional(Flag.annotations({ description: "whether one of its addresses is on the suppression list" })),
  lastEngagedBefore: Schema.optional(Instant.annotations({
    description: "ISO 8601; contacts that engaged (a human open or click) on some channel, and last before this time on every channel"
  })),
  pageSize: PageSize.annotations({ description: "contacts per page" }),
  cursor: Schema.optional(contactCursor.Param)
})

export const ContactListPage = Schema.Struct({
  items: Schema.Array(ContactView.omit("activities")),
  nextCursor: Schema.NullOr(Schema.String).annotations({ description: "pass as cursor for the next page; null on the last" })
})

/** Handlers live in ContactsHttp.ts. The import reads its body raw: JSON or CSV, by content-type. */
const nullableAddress = { type: ["string", "null"] }
const importBody = {
  required: true,
  description: "rows with at least one of email, phone (E.164), whatsapp; other keys or columns are kept as attributes",
  content: {
    "application/json": { schema: { type: "array", items: { type: "object", properties: { email: nullableAddress, phone: nullableAddress, whatsapp: nullableAddress } } } },
    "text/csv": { schema: { type: "string", description: "a header row naming email, phone, whatsapp and any attribute columns" } }
  }
}

export class ContactsApi extends HttpApiGroup.make("contacts")
  .add(
    HttpApiEndpoint.post("importContacts", "/contacts/import")
      .addSuccess(ImportReport)
      .addError(BadRequest)
      .addError(PayloadTooLarge)
      .addError(UnsupportedMediaType)
      .annotate(OpenApi.Summary, "Import contacts from a JSON array or a CSV (up to 100000 rows, 10 MiB); rows whose address is known are skipped, never merged")
      // Read raw by the handler (JSON or CSV, by content-type), so the body is described here, not decoded.
      .annotate(OpenApi.Override, { requestBody: importBody })
  )
  .add(
    HttpApiEndpoint.get("list", "/contacts")
      .setUrlParams(ContactListParams)
      .addSuccess(ContactListPage)
      .addError(BadRequest)
      .annotate(OpenApi.Summary, "The org's contacts, newest first, looked up by email or phone, searched and filtered, keyset-paged")
  )
  .add(
    HttpApiEndpoint.get("contact")`/contacts/${id}`
      .addSuccess(ContactView)
      .addError(NotFound)
      .annotate(OpenApi.Summary, "A contact: addresses, bounced and opted-out flags, push tokens, attributes and its activity feed")
  )
  .middleware(OrgAuth)
  .addError(Unauthorized)
  .addError(Forbidden) {}
