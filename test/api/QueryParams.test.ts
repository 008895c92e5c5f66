import { expect, layer } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { Statuses } from "../../src/api/Params.js"
import { statusPrecedence } from "../../src/domain/Delivery.js"
import { activityCursor } from "../../src/reports/Activity.js"
import { reportCursor } from "../../src/reports/DeliveryReports.js"
import { call, contactsService } from "../support/contactsApi.js"
import { unique } from "../support/providerRoutes.js"
import { createBroadcast } from "../support/reports.js"
import { adminKey } from "../support/signing.js"

const refused = (message: string) => ({ status: 400, body: { error: "BadRequest", message } })

layer(contactsService, { excludeTestServices: true })("query parameters decoded by the endpoints' Schemas", (it) => {
  it.effect("a bad pageSize, status, date or cursor is a 400 naming the field; a bad status names every allowed one", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const report = `/broadcast/${yield* createBroadcast(org)}/report`
      for (const pageSize of ["abc", "0", "1001", "2.5", ""]) {
        expect(yield* call(org, `${report}?pageSize=${pageSize}`)).toEqual(refused("pageSize: expected a whole number from 1 to 1000"))
      }
      const badStatus = yield* call(org, `${report}?status=sent,lost`)
      expect(badStatus).toEqual(refused(`status: 'lost' is not a delivery status; expected ${statusPrecedence.join(", ")}`))
      for (const status of statusPrecedence) expect(JSON.stringify(badStatus.body)).toContain(status)
      expect(yield* call(org, "/broadcast/activity?startDate=2026-13-45")).toEqual(refused("startDate: expected an ISO 8601 date or time"))
      expect(yield* call(org, "/broadcast/activity?endDate=soon")).toEqual(refused("endDate: expected an ISO 8601 date or time"))
      // Well-formed cursors, but each of the other listing, and one whose key is not an id.
      for (const [path, cursor] of [[report, activityCursor.encode({ micros: "1", id: 1 })], ["/broadcast/activity", reportCursor.encode(7)], [report, "InNldmVuIg"]]) {
        expect(yield* call(org, `${path}?cursor=${cursor}`)).toEqual(refused("cursor: not one this listing issued"))
      }
      expect(yield* call(org, "/suppressions?cursor=***")).toEqual(refused("cursor: not one this listing issued"))
      expect(yield* call(org, "/suppressions?limit=0")).toEqual(refused("limit: expected a whole number from 1 to 1000"))
    }))

  it.effect("an enum parameter's refusal names every allowed value, not the first", () =>
    Effect.gen(function* () {
      const org = unique("org-")
      const report = `/broadcast/${yield* createBroadcast(org)}/report`
      expect(yield* call(org, `${report}?channel=fax`)).toEqual(refused('channel: expected one of "email", "sms", "whatsapp", "push", "telegram", "in_app"; got "fax"'))
      expect(yield* call(org, "/suppressions?reason=spam")).toEqual(
        refused('reason: expected one of "unsubscribe", "bounce", "complaint", "invalid", "admin", "sunset"; got "spam"'))
    }))

  it.effect("the admin's includeReplayed is true or false, and its limit a whole number", () =>
    Effect.gen(function* () {
      const admin = { headers: { authorization: `Bearer ${adminKey}` }, authorized: false }
      expect(yield* call("admin", "/admin/dead-letters?includeReplayed=true&limit=5", admin)).toMatchObject({ status: 200 })
      expect(yield* call("admin", "/admin/dead-letters?includeReplayed=yes", admin)).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^includeReplayed: /) } })
      expect(yield* call("admin", "/admin/dead-letters?limit=-1", admin)).toEqual(refused("limit: expected a whole number from 1 to 1000"))
    }))

  it("a status list drops repeats and blanks; empty or absent is every status", () => {
    const decode = Schema.decodeUnknownSync(Schema.Struct({ status: Statuses }))
    expect(decode({ status: " sent,delivered,,sent " })).toEqual({ status: ["sent", "delivered"] })
    expect(decode({ status: "" })).toEqual({ status: [] })
    expect(decode({})).toEqual({ status: [] })
  })
})
