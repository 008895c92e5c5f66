import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { Channel } from "../domain/Event.js"
import { PushToken } from "../domain/Records.js"
import { BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType } from "./Errors.js"
import { OrgAuth } from "./OrgAuth.js"

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
  attributes: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  bouncedChannels: Schema.Array(Channel),
  optedOut: Schema.Array(Schema.String).annotations({ description: "a channel (\"email\") or a channel and category (\"email:marketing\")" }),
  pushTokens: Schema.Array(PushToken),
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

/** Handlers live in ContactsHttp.ts. The import reads its body raw: JSON or CSV, by content-type. */
const address = { type: ["string", "null"] }
const importBody = {
  required: true,
  description: "rows with at least one of email, phone (E.164), whatsapp; other keys or columns are kept as attributes",
  content: {
    "application/json": { schema: { type: "array", items: { type: "object", properties: { email: address, phone: address, whatsapp: address } } } },
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
    HttpApiEndpoint.get("contact")`/contacts/${id}`
      .addSuccess(ContactView)
      .addError(NotFound)
      .annotate(OpenApi.Summary, "A contact: addresses, bounced and opted-out flags, push tokens, attributes and its activity feed")
  )
  .middleware(OrgAuth)
  .addError(Unauthorized)
  .addError(Forbidden) {}
