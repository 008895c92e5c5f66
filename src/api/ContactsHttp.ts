import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { Effect, Layer, Option } from "effect"
import { ContactImport } from "../contacts/ContactImport.js"
import { ContactList } from "../contacts/ContactList.js"
import type { ImportFormat } from "../contacts/ContactImport.js"
import { ActivityRepository } from "../storage/ActivityRepository.js"
import { ContactRepository } from "../storage/ContactRepository.js"
import { Api } from "./Api.js"
import { CurrentOrg } from "./OrgAuth.js"
import { readBody } from "./RawBody.js"

export const maxImportBytes = 10 * 1024 * 1024

const formatOf = (contentType: string | undefined): ImportFormat | undefined => {
  const type = contentType?.split(";")[0]?.trim().toLowerCase()
  return type === "application/json" ? "json" : type === "text/csv" ? "csv" : undefined
}

export const ContactsLive = HttpApiBuilder.group(Api, "contacts", (handlers) =>
  Effect.gen(function* () {
    const importer = yield* ContactImport
    const contacts = yield* ContactRepository
    const activities = yield* ActivityRepository
    const list = yield* ContactList
    const notFound = (id: string) => Effect.fail({ error: "NotFound" as const, message: `no contact '${id}'` })

    return handlers
      .handle("importContacts", ({ request }) =>
        Effect.gen(function* () {
          const org = yield* CurrentOrg
          const format = formatOf(request.headers["content-type"])
          if (format === undefined) {
            return yield* Effect.fail({ error: "UnsupportedMediaType" as const, message: "content-type: expected application/json or text/csv" })
          }
          const body = yield* readBody(request, maxImportBytes)
          return yield* importer.run(org.orgId, org.subject ?? "api", format, body)
        }).pipe(
          Effect.catchTags({
            BodyTooLarge: (e) => Effect.fail({ error: "PayloadTooLarge" as const, message: `the body is larger than ${e.limit} bytes: split the import` }),
            ImportRejected: (e) => Effect.fail({ error: "BadRequest" as const, message: e.message })
          })
        ))
      .handle("list", ({ urlParams: { cursor, pageSize, ...filter } }) =>
        Effect.flatMap(CurrentOrg, ({ orgId }) =>
          list.page(orgId, {
            email: filter.email, phone: filter.phone, q: filter.q, bounced: filter.bounced, optedOut: filter.optedOut, suppressed: filter.suppressed,
            lastEngagedBefore: filter.lastEngagedBefore
          }, cursor, pageSize)).pipe(
          Effect.catchTag("InvalidCursor", (e) => Effect.fail({ error: "BadRequest" as const, message: e.message }))
        ))
      .handle("contact", ({ path }) =>
        Effect.gen(function* () {
          const { orgId } = yield* CurrentOrg
          const found = Option.filter(yield* contacts.findById(path.id), (c) => c.orgId === orgId)
          if (Option.isNone(found)) return yield* notFound(path.id)
          const { orgId: _, ...contact } = found.value
          const attributes = Option.getOrElse(yield* contacts.attributesOf(contact.id), () => ({}))
          const timeline = yield* activities.forContact(contact.id, 100)
          return {
            ...contact,
            attributes,
            lastEngagedAt: yield* list.lastEngagedAt(contact.id),
            activities: timeline.map((a) => ({ id: a.id, kind: a.kind, title: a.title, reason: a.reason, deliveryId: a.deliveryId, occurredAt: a.occurredAt }))
          }
        }))
  })).pipe(Layer.provide(Layer.merge(ContactImport.Default, ContactList.Default)))
