import { expect, layer } from "@effect/vitest"
import { DateTime, Effect, Either, Option, Schema } from "effect"
import { Rendered } from "../../src/api/TrackingOrg.js"
import { decodeTarget } from "../../src/tracking/Links.js"
import { TrackingTokens } from "../../src/tracking/Tokens.js"
import { applied, call, orgHeaders, pathOf, postJson, publicBaseUrl, seedDelivery, sign, trackingService, unique } from "../support/tracking.js"
import { elements, visibleText } from "../support/trackingHtml.js"

const mail = `<!DOCTYPE html><html><head><title>Weekly</title></head><body>
<p>New this week: <a href="https://shop.example/new?utm=mail&amp;x=1">see it</a>, <a href="https://blog.example/post#top">read</a>,
<a href="mailto:help@example.com">write to us</a> or <a href="tel:+15551234">call</a>. <a href="#more">More</a></p>
<p><a href="{{unsubscribeUrl}}">Unsubscribe</a></p></body></html>`

const decodeRendered = Schema.decodeUnknownSync(Rendered)

const render = (orgId: string, body: unknown) => Effect.flatMap(orgHeaders(orgId), (headers) => postJson("/tracking/render", body, headers))
const tap = (orgId: string, body: unknown) => Effect.flatMap(orgHeaders(orgId), (headers) => postJson("/repository/create/analytics_event", body, headers))

const claimsOf = (url: string) =>
  Effect.flatMap(TrackingTokens, (tokens) => tokens.verify(new URL(url).searchParams.get("t") ?? ""))

const refusal = (error: string, message: RegExp) => ({ error, message: expect.stringMatching(message) })

layer(trackingService(), { excludeTestServices: true })("org tracking routes through the real server", (it) => {
  it.effect("render wraps every http(s) link, appends the pixel, fills in the unsubscribe link and gives the RFC 8058 headers", () =>
    Effect.gen(function* () {
      const { delivery, orgId, recipient } = yield* seedDelivery({ broadcast: { name: "Weekly picks", category: "marketing" } })
      const reply = yield* render(orgId, { deliveryId: delivery.id, html: mail })
      expect(reply.status).toBe(200)
      const rendered = decodeRendered(reply.body)
      expect(rendered.unsubscribeUrl.startsWith(`${publicBaseUrl}/api/tracking/unsubscribe?t=`)).toBe(true)
      expect(rendered.pixelUrl.startsWith(`${publicBaseUrl}/api/tracking/pixel.gif?t=`)).toBe(true)
      expect(rendered.headers).toEqual({ "List-Unsubscribe": `<${rendered.unsubscribeUrl}>`, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" })

      const hrefs = elements(rendered.html, "a").map((a) => a.href ?? "")
      const tracked = hrefs.filter((h) => h.startsWith(`${publicBaseUrl}/api/tracking/click?`))
      expect(tracked.map((h) => Option.getOrUndefined(decodeTarget(new URL(h).searchParams.get("url") ?? ""))))
        .toEqual(["https://shop.example/new?utm=mail&x=1", "https://blog.example/post#top"])
      expect(hrefs.slice(2)).toEqual(["mailto:help@example.com", "tel:+15551234", "#more", rendered.unsubscribeUrl])
      expect(elements(rendered.html, "img")).toEqual([{ src: rendered.pixelUrl, width: "1", height: "1", alt: "", style: "display:none" }])
      expect(visibleText(rendered.html)).not.toContain("Don't want these messages?")
      expect(yield* claimsOf(rendered.unsubscribeUrl)).toMatchObject({ kind: "unsubscribe", orgId, deliveryId: delivery.id, category: "marketing" })

      // The links work through the server: the click redirects, the pixel answers, the page names the list.
      const followed = yield* call(pathOf(tracked[0] ?? ""), { headers: { "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/126.0" } })
      expect(followed.status).toBe(302)
      expect(followed.headers.get("location")).toBe("https://shop.example/new?utm=mail&x=1")
      expect((yield* call(pathOf(rendered.pixelUrl))).status).toBe(200)
      expect(visibleText((yield* call(pathOf(rendered.unsubscribeUrl))).text))
        .toBe(`Unsubscribe Stop sending marketing email to ${recipient.slice(0, 1)}•••@example.com? List: Weekly picks Unsubscribe`)
      expect((yield* applied(delivery.id)).events.map((e) => e.type).sort()).toEqual(["clicked", "opened"])
    }))

  it.effect("render finds the delivery by broadcast, recipient and channel; a given category wins, and a footer is added when the placeholder is absent", () =>
    Effect.gen(function* () {
      const { delivery, orgId, recipient, broadcastId } = yield* seedDelivery({ broadcast: { name: "Receipts", category: "marketing" } })
      const reply = yield* render(orgId, { broadcastId, recipient: recipient.toUpperCase(), channel: "email", html: "<p>Thanks!</p>", category: "transactional" })
      expect(reply.status).toBe(200)
      const rendered = decodeRendered(reply.body)
      expect(yield* claimsOf(rendered.unsubscribeUrl)).toMatchObject({ deliveryId: delivery.id, category: "transactional" })
      expect(visibleText(rendered.html)).toBe("Thanks! Don't want these messages? Unsubscribe")
      expect(rendered.html).not.toContain("<html")
    }))

  it.effect("render names the field that is missing: no delivery named at all, or an incomplete broadcast form", () =>
    Effect.gen(function* () {
      const orgId = unique("org-")
      expect(yield* render(orgId, { html: "<p>x</p>" })).toEqual({ status: 400, body: refusal("BadRequest", /^deliveryId: required, or broadcastId, recipient and channel/) })
      expect(yield* render(orgId, { broadcastId: "b", channel: "email", html: "" })).toEqual({ status: 400, body: refusal("BadRequest", /^recipient: /) })
      expect(yield* render(orgId, { broadcastId: "b", recipient: "a@example.com", html: "" })).toEqual({ status: 400, body: refusal("BadRequest", /^channel: /) })
      expect(yield* render(orgId, { recipient: "a@example.com", channel: "email", html: "" })).toEqual({ status: 400, body: refusal("BadRequest", /^broadcastId: /) })
      expect(yield* render(orgId, { deliveryId: 1 })).toMatchObject({ status: 400, body: refusal("BadRequest", /^html: /) })
      expect(yield* render(orgId, { deliveryId: -1, html: "" })).toMatchObject({ status: 400, body: refusal("BadRequest", /^deliveryId: /) })
    }))

  it.effect("render never reaches another org's delivery: it is a 404 like one that does not exist", () =>
    Effect.gen(function* () {
      const theirs = yield* seedDelivery({ broadcast: { name: "Theirs", category: "marketing" } })
      const mine = unique("org-")
      expect(yield* render(mine, { deliveryId: theirs.delivery.id, html: "" })).toEqual({ status: 404, body: refusal("NotFound", /^no delivery \d+ in this organisation$/) })
      expect(yield* render(mine, { broadcastId: theirs.broadcastId, recipient: theirs.recipient, channel: "email", html: "" }))
        .toEqual({ status: 404, body: refusal("NotFound", /^no email delivery to that recipient/) })
      expect(yield* render(mine, { deliveryId: 999_999_999, html: "" })).toMatchObject({ status: 404 })
      expect(yield* render(theirs.orgId, { broadcastId: theirs.broadcastId, recipient: theirs.recipient, channel: "sms", html: "" })).toMatchObject({ status: 404 })
    }))

  it.effect("both org routes want a valid token for the org in the orgid header", () =>
    Effect.gen(function* () {
      for (const path of ["/tracking/render", "/repository/create/analytics_event"]) {
        expect(yield* postJson(path, {}, {})).toMatchObject({ status: 401, body: { error: "Unauthorized" } })
        expect(yield* postJson(path, {}, yield* orgHeaders("acme", "globex"))).toMatchObject({ status: 403, body: { error: "Forbidden" } })
      }
    }))

  it.effect("an app's tap by deliveryId is accepted after the inbox commit and applied as an open at the time given", () =>
    Effect.gen(function* () {
      const { delivery, orgId } = yield* seedDelivery({ channel: "push", recipient: unique("fcm-token-") })
      const at = DateTime.formatIso(DateTime.subtract(yield* DateTime.now, { minutes: 5 }))
      expect(yield* tap(orgId, { deliveryId: delivery.id, type: "opened", at })).toEqual({ status: 202, body: { accepted: true } })
      const after = yield* applied(delivery.id)
      expect(after.delivery.status).toBe("opened")
      expect(after.events.map((e) => ({ provider: e.provider, name: e.providerEventName, at: DateTime.formatIso(e.occurredAt), details: e.details })))
        .toEqual([{ provider: "tracking", name: "app", at, details: {} }])
    }))

  it.effect("a tap named by a tracking token records a click with its url", () =>
    Effect.gen(function* () {
      const { delivery, orgId, base } = yield* seedDelivery({ channel: "push", recipient: unique("apns-token-") })
      const token = yield* sign({ ...base, channel: "push", kind: "open" })
      expect(yield* tap(orgId, { token, type: "clicked", url: "myapp://promo/7" })).toEqual({ status: 202, body: { accepted: true } })
      const after = yield* applied(delivery.id)
      expect(after.delivery.status).toBe("clicked")
      expect(after.events.map((e) => e.details.url)).toEqual(["myapp://promo/7"])
    }))

  it.effect("analytics_event refuses both or neither of deliveryId and token, a bad token, an unknown type, and another org's delivery or token", () =>
    Effect.gen(function* () {
      const { delivery, orgId, base } = yield* seedDelivery({ channel: "push", recipient: unique("fcm-token-") })
      const token = yield* sign({ ...base, kind: "open" })
      expect(yield* tap(orgId, { type: "opened" })).toEqual({ status: 400, body: refusal("BadRequest", /^deliveryId: required \(or token\)$/) })
      expect(yield* tap(orgId, { deliveryId: delivery.id, token, type: "opened" })).toEqual({ status: 400, body: refusal("BadRequest", /not both/) })
      expect(yield* tap(orgId, { token: "not.a.token", type: "opened" })).toEqual({ status: 400, body: refusal("BadRequest", /^token: /) })
      expect(yield* tap(orgId, { deliveryId: delivery.id, type: "bounced" })).toMatchObject({ status: 400, body: refusal("BadRequest", /^type: /) })
      expect(yield* tap(orgId, { deliveryId: delivery.id, type: "opened", at: "yesterday" })).toMatchObject({ status: 400, body: refusal("BadRequest", /^at: /) })
      const other = unique("org-")
      expect(yield* tap(other, { deliveryId: delivery.id, type: "opened" })).toEqual({ status: 404, body: refusal("NotFound", /in this organisation$/) })
      expect(yield* tap(other, { token, type: "opened" })).toEqual({ status: 404, body: refusal("NotFound", /in this organisation$/) })
      expect(yield* tap(orgId, { deliveryId: 999_999_999, type: "opened" })).toMatchObject({ status: 404 })
      expect((yield* applied(delivery.id)).events).toEqual([])
    }))
})

layer(trackingService({ TRACKING_SECRET: "" }), { excludeTestServices: true })("with no TRACKING_SECRET", (it) => {
  it.effect("render answers 503 saying links cannot be signed, and a tap by token says they cannot be verified", () =>
    Effect.gen(function* () {
      const { delivery, orgId } = yield* seedDelivery()
      expect(yield* render(orgId, { deliveryId: delivery.id, html: "<p>x</p>" }))
        .toEqual({ status: 503, body: refusal("ServiceUnavailable", /^TRACKING_SECRET is not configured/) })
      expect(yield* tap(orgId, { token: "x.y.z", type: "opened" })).toEqual({ status: 503, body: refusal("ServiceUnavailable", /^TRACKING_SECRET is not configured/) })
      expect(Either.isLeft(yield* Effect.either(Effect.flatMap(TrackingTokens, (t) => t.verify("x.y.z"))))).toBe(true)
    }))
})
