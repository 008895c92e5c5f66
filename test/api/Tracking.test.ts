import { expect, layer } from "@effect/vitest"
import { Effect, Option } from "effect"
import { WebhookStats } from "../../src/ingest/WebhookStats.js"
import { ActivityRepository } from "../../src/storage/ActivityRepository.js"
import { BroadcastRepository } from "../../src/storage/BroadcastRepository.js"
import { ContactRepository } from "../../src/storage/ContactRepository.js"
import { SuppressionRepository } from "../../src/storage/SuppressionRepository.js"
import { transparentGif } from "../../src/tracking/Gif.js"
import { encodeTarget } from "../../src/tracking/Links.js"
import type { TrackingClaims } from "../../src/tracking/Tokens.js"
import { urlHash } from "../../src/tracking/Tokens.js"
import type { Answer } from "../support/tracking.js"
import { applied, call, previousTrackingSecret, seedDelivery, sign, signWith, trackingService } from "../support/tracking.js"
import { elements, visibleText } from "../support/trackingHtml.js"

const reader = { "user-agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15" }
const forwarded = { ...reader, "x-forwarded-for": "203.0.113.7, 10.0.0.1" }

const expectGif = (answer: Answer) => {
  expect(answer.status).toBe(200)
  expect(answer.headers.get("content-type")).toBe("image/gif")
  expect(answer.headers.get("cache-control")).toBe("no-store")
  expect(answer.bytes).toEqual(transparentGif)
  expect(answer.bytes.length).toBe(43)
}

/** An HTML page and never a redirect. */
const expectPage = (answer: Answer, status: number, heading: string) => {
  expect(answer.status).toBe(status)
  expect(answer.headers.get("location")).toBeNull()
  expect(answer.headers.get("content-type")).toBe("text/html; charset=utf-8")
  expect(visibleText(answer.text).startsWith(heading)).toBe(true)
}

const refusals = Effect.map(Effect.flatMap(WebhookStats, (stats) => stats.snapshot), (counts) => (reason: string) => counts.get(`tracking|${reason}`) ?? 0)

const click = (token: string, url: string, headers: Record<string, string> = reader) =>
  call(`/api/tracking/click?t=${token}&url=${encodeTarget(url)}`, { headers })

const clickToken = (base: Omit<TrackingClaims, "kind">, url: string) => sign({ ...base, kind: "click", urlHash: urlHash(url) })

layer(trackingService(), { excludeTestServices: true })("tracking links through the real server", (it) => {
  it.effect("the pixel answers the transparent GIF uncached and records every open with ip and user agent", () =>
    Effect.gen(function* () {
      const { delivery, base } = yield* seedDelivery()
      const token = yield* sign({ ...base, kind: "open" })
      expectGif(yield* call(`/api/tracking/pixel.gif?t=${token}`, { headers: forwarded }))
      expectGif(yield* call(`/api/tracking/pixel.gif?t=${token}`, { headers: reader }))
      const after = yield* applied(delivery.id)
      expect(after.delivery.status).toBe("opened")
      const opens = after.events.filter((e) => e.type === "opened")
      expect(opens.map((e) => ({ provider: e.provider, name: e.providerEventName, ...e.details }))).toEqual([
        { provider: "tracking", name: "pixel", ip: "203.0.113.7", userAgent: reader["user-agent"], machine: false },
        { provider: "tracking", name: "pixel", ip: expect.stringMatching(/127\.0\.0\.1|::1/), userAgent: reader["user-agent"], machine: false }
      ])
    }))

  it.effect("opens fetched by Gmail's image proxy or Apple Mail Privacy Protection are flagged machine", () =>
    Effect.gen(function* () {
      const { delivery, base } = yield* seedDelivery()
      const token = yield* sign({ ...base, kind: "open" })
      for (const agent of ["Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)", "Mozilla/5.0"]) {
        expectGif(yield* call(`/api/tracking/pixel.gif?t=${token}`, { headers: { "user-agent": agent } }))
      }
      const { events } = yield* applied(delivery.id)
      expect(events.map((e) => e.details.machine)).toEqual([true, true])
    }))

  it.effect("a missing, bad, expired or wrong-kind token, or one naming no delivery of its org, still gets the GIF, records nothing and is counted", () =>
    Effect.gen(function* () {
      const { delivery, base } = yield* seedDelivery()
      const other = yield* seedDelivery()
      const before = yield* refusals
      const expired = yield* signWith(previousTrackingSecret, { ...base, kind: "open" }, { ttlDays: 1, signedAt: Date.now() - 2 * 86_400_000 })
      const pixels = [
        "/api/tracking/pixel.gif",
        "/api/tracking/pixel.gif?t=not.a.token",
        `/api/tracking/pixel.gif?t=${expired}`,
        `/api/tracking/pixel.gif?t=${yield* sign({ ...base, kind: "unsubscribe" })}`,
        `/api/tracking/pixel.gif?t=${yield* sign({ ...base, kind: "open", deliveryId: 999_999_999 })}`,
        `/api/tracking/pixel.gif?t=${yield* sign({ ...base, kind: "open", deliveryId: other.delivery.id })}`
      ]
      for (const path of pixels) expectGif(yield* call(path, { headers: reader }))
      expect((yield* applied(delivery.id)).events).toEqual([])
      expect((yield* applied(other.delivery.id)).events).toEqual([])
      const after = yield* refusals
      expect(["missing-token", "invalid-token", "wrong-kind", "unknown-delivery"].map((r) => after(r) - before(r))).toEqual([1, 2, 1, 2])
    }))

  it.effect("a click redirects to its URL exactly, query and fragment included, after recording it with the url", () =>
    Effect.gen(function* () {
      const { delivery, base } = yield* seedDelivery()
      const url = "https://shop.example/item?id=7&ref=mail#reviews"
      const answer = yield* click(yield* clickToken(base, url), url, forwarded)
      expect(answer.status).toBe(302)
      expect(answer.headers.get("location")).toBe(url)
      expect(answer.headers.get("cache-control")).toBe("no-store")
      const unicode = "https://bücher.example/straße?q=grüße&x=a b#teil"
      const encoded = yield* click(yield* clickToken(base, unicode), unicode)
      expect(encoded.status).toBe(302)
      expect(encoded.headers.get("location")).toBe("https://xn--bcher-kva.example/stra%C3%9Fe?q=gr%C3%BC%C3%9Fe&x=a%20b#teil")
      const after = yield* applied(delivery.id)
      expect(after.delivery.status).toBe("clicked")
      expect(after.events.map((e) => ({ type: e.type, ...e.details }))).toEqual([
        { type: "clicked", url, ip: "203.0.113.7", userAgent: reader["user-agent"], machine: false },
        { type: "clicked", url: unicode, ip: expect.any(String), userAgent: reader["user-agent"], machine: false }
      ])
    }))

  it.effect("a click whose URL is not its token's, or with a bad token or no URL, is a 400 page and never a redirect", () =>
    Effect.gen(function* () {
      const { delivery, base } = yield* seedDelivery()
      const url = "https://shop.example/item?id=7"
      const token = yield* clickToken(base, url)
      const refused = [
        yield* click(token, "https://evil.example/phish"),
        yield* click(token, "https://shop.example/item?id=8"),
        yield* call(`/api/tracking/click?t=${token}&url=${encodeTarget("javascript:alert(1)")}`),
        yield* call(`/api/tracking/click?t=${token}`),
        yield* call(`/api/tracking/click?url=${encodeTarget(url)}`),
        yield* click("not.a.token", url),
        yield* click(yield* sign({ ...base, kind: "open" }), url),
        yield* click(yield* sign({ ...base, kind: "click" }), url),
        yield* click(yield* clickToken({ ...base, deliveryId: 999_999_999 }, url), url)
      ]
      for (const answer of refused) expectPage(answer, 400, "This link cannot be followed")
      expect(visibleText(refused[0]?.text ?? "")).toContain("The destination is not the one this link was made for.")
      expect((yield* applied(delivery.id)).events).toEqual([])
    }))

  it.effect("clicks by link scanners, within seconds of delivery, or in a burst across links are flagged machine", () =>
    Effect.gen(function* () {
      const scanned = yield* seedDelivery()
      const url = "https://shop.example/a"
      yield* click(yield* clickToken(scanned.base, url), url, { "user-agent": "Mozilla/5.0 (compatible; Barracuda Sentinel)" })
      expect((yield* applied(scanned.delivery.id)).events.map((e) => e.details.machine)).toEqual([true])

      const fresh = yield* seedDelivery({ deliveredSecondsAgo: 2 })
      yield* click(yield* clickToken(fresh.base, url), url)
      expect((yield* applied(fresh.delivery.id)).events.map((e) => e.details.machine)).toEqual([true])

      const burst = yield* seedDelivery()
      const urls = ["https://shop.example/1", "https://shop.example/2", "https://shop.example/3"]
      const tokens = yield* Effect.forEach(urls, (u) => clickToken(burst.base, u))
      for (const [i, u] of urls.entries()) expect((yield* click(tokens[i] ?? "", u)).status).toBe(302)
      const events = (yield* applied(burst.delivery.id)).events
      expect(urls.map((u) => events.find((e) => e.details.url === u)?.details.machine)).toEqual([false, false, true])
    }))

  it.effect("the unsubscribe page names the address and the list, with one button, and changes nothing by itself", () =>
    Effect.gen(function* () {
      const { delivery, base, recipient } = yield* seedDelivery({ broadcast: { name: "Spring <news>", category: "marketing" } })
      const answer = yield* call(`/api/tracking/unsubscribe?t=${yield* sign({ ...base, kind: "unsubscribe", category: "marketing" })}`, { headers: reader })
      expectPage(answer, 200, "Unsubscribe")
      expect(visibleText(answer.text)).toBe(`Unsubscribe Stop sending marketing email to ${recipient.slice(0, 1)}•••@example.com? List: Spring <news> Unsubscribe`)
      expect(elements(answer.text, "form")).toEqual([{ method: "post" }])
      expect(answer.headers.get("content-security-policy")).toContain("frame-ancestors 'none'")
      const after = yield* applied(delivery.id)
      expect(after.events).toEqual([])
      expect(after.delivery.status).toBe("delivered")
    }))

  it.effect("the button and RFC 8058 one-click unsubscribe at once with a 200 page, carry out every effect, and repeating changes nothing", () =>
    Effect.gen(function* () {
      const { delivery, base, recipient, orgId, broadcastId } = yield* seedDelivery({ broadcast: { name: "Weekly", category: "marketing" } })
      const path = `/api/tracking/unsubscribe?t=${yield* sign({ ...base, kind: "unsubscribe" })}`
      const oneClick = yield* call(path, {
        method: "POST", body: "List-Unsubscribe=One-Click",
        headers: { ...forwarded, "content-type": "application/x-www-form-urlencoded" }
      })
      expectPage(oneClick, 200, "You are unsubscribed")
      expect(visibleText(oneClick.text)).toContain("will no longer receive all email from this sender. List: Weekly")

      const after = yield* applied(delivery.id)
      expect(after.delivery.status).toBe("unsubscribed")
      expect(after.events.map((e) => ({ type: e.type, id: e.providerEventId, ...e.details }))).toEqual([
        { type: "unsubscribed", id: `unsubscribe:${delivery.id}:email`, ip: "203.0.113.7", userAgent: reader["user-agent"] }
      ])
      const suppressed = yield* (yield* SuppressionRepository).check(orgId, "email", [recipient])
      expect(suppressed.get(recipient)).toMatchObject({ reason: "unsubscribe", category: null, source: "tracking:unsubscribed" })
      const contact = Option.getOrThrow(yield* (yield* ContactRepository).findByAddress(orgId, "email", recipient))
      expect(contact.optedOut).toEqual(["email"])
      expect(yield* (yield* BroadcastRepository).recipients(broadcastId ?? "")).toEqual([])
      const activities = yield* ActivityRepository
      expect((yield* activities.forContact(contact.id, 10)).map((a) => a.kind)).toEqual(["unsubscribed"])
      expect((yield* activities.auditLog(orgId, 10)).map((a) => ({ actor: a.actor, action: a.action, subject: a.subject, deliveryId: a.details.deliveryId, ip: a.details.ip, userAgent: a.details.userAgent })))
        .toEqual([{ actor: "provider:tracking", action: "contact.unsubscribed", subject: `email:${recipient}`, deliveryId: delivery.id, ip: "203.0.113.7", userAgent: reader["user-agent"] }])

      const form = new FormData()
      form.set("List-Unsubscribe", "One-Click")
      expectPage(yield* call(path, { method: "POST", body: form, headers: reader }), 200, "You are unsubscribed")
      expectPage(yield* call(path, { method: "POST", headers: reader }), 200, "You are unsubscribed")
      const again = yield* applied(delivery.id)
      expect(again.events).toHaveLength(1)
      expect(yield* activities.forContact(contact.id, 10)).toHaveLength(1)
      expect(yield* activities.auditLog(orgId, 10)).toHaveLength(1)
    }))

  it.effect("an unsubscribe link with a category suppresses and opts out of that category only", () =>
    Effect.gen(function* () {
      const { delivery, base, recipient, orgId } = yield* seedDelivery()
      const answer = yield* call(`/api/tracking/unsubscribe?t=${yield* sign({ ...base, kind: "unsubscribe", category: "marketing" })}`, { method: "POST" })
      expect(visibleText(answer.text)).toContain("will no longer receive marketing email from this sender.")
      const { events } = yield* applied(delivery.id)
      expect(events.map((e) => e.providerEventId)).toEqual([`unsubscribe:${delivery.id}:marketing`])
      const suppressions = yield* SuppressionRepository
      expect((yield* suppressions.check(orgId, "email", [recipient], "marketing")).get(recipient)?.category).toBe("marketing")
      expect((yield* suppressions.check(orgId, "email", [recipient], "transactional")).size).toBe(0)
      const contact = Option.getOrThrow(yield* (yield* ContactRepository).findByAddress(orgId, "email", recipient))
      expect(contact.optedOut).toEqual(["email:marketing"])
    }))

  it.effect("security mail is never blocked: the page says so, with no button, and nothing is recorded", () =>
    Effect.gen(function* () {
      const { delivery, base } = yield* seedDelivery()
      const path = `/api/tracking/unsubscribe?t=${yield* sign({ ...base, kind: "unsubscribe", category: "security" })}`
      const page = yield* call(path)
      expectPage(page, 200, "Nothing to unsubscribe")
      expect(elements(page.text, "form")).toEqual([])
      expectPage(yield* call(path, { method: "POST", body: "List-Unsubscribe=One-Click", headers: { "content-type": "application/x-www-form-urlencoded" } }), 200, "Nothing to unsubscribe")
      expect((yield* applied(delivery.id)).events).toEqual([])
    }))

  it.effect("a bad or expired unsubscribe link is a 400 page and one naming no delivery a 404 page, both saying the link is no longer valid", () =>
    Effect.gen(function* () {
      const { base } = yield* seedDelivery()
      const expired = yield* signWith(previousTrackingSecret, { ...base, kind: "unsubscribe" }, { ttlDays: 1, signedAt: Date.now() - 2 * 86_400_000 })
      for (const method of ["GET", "POST"]) {
        expectPage(yield* call("/api/tracking/unsubscribe", { method }), 400, "This link is no longer valid")
        expectPage(yield* call("/api/tracking/unsubscribe?t=garbage", { method }), 400, "This link is no longer valid")
        expectPage(yield* call(`/api/tracking/unsubscribe?t=${expired}`, { method }), 400, "This link is no longer valid")
        expectPage(yield* call(`/api/tracking/unsubscribe?t=${yield* sign({ ...base, kind: "open" })}`, { method }), 400, "This link is no longer valid")
        const gone = yield* sign({ ...base, kind: "unsubscribe", deliveryId: 999_999_999 })
        expectPage(yield* call(`/api/tracking/unsubscribe?t=${gone}`, { method }), 404, "This link is no longer valid")
      }
    }))

  it.effect("links signed with a key since rotated out of signing still work; another key's do not", () =>
    Effect.gen(function* () {
      const { delivery, base } = yield* seedDelivery()
      expectGif(yield* call(`/api/tracking/pixel.gif?t=${yield* signWith(previousTrackingSecret, { ...base, kind: "open" })}`, { headers: reader }))
      expectGif(yield* call(`/api/tracking/pixel.gif?t=${yield* signWith("stranger", { ...base, kind: "open" })}`, { headers: reader }))
      const unsubscribe = yield* signWith(previousTrackingSecret, { ...base, kind: "unsubscribe" })
      expectPage(yield* call(`/api/tracking/unsubscribe?t=${unsubscribe}`, { method: "POST" }), 200, "You are unsubscribed")
      expect((yield* applied(delivery.id)).events.map((e) => e.type).sort()).toEqual(["opened", "unsubscribed"])
    }))
})

layer(trackingService({ UNSUBSCRIBE_ON_GET: "true" }), { excludeTestServices: true })("with UNSUBSCRIBE_ON_GET=true", (it) => {
  it.effect("opening the unsubscribe link unsubscribes at once and confirms", () =>
    Effect.gen(function* () {
      const { delivery, base } = yield* seedDelivery()
      expectPage(yield* call(`/api/tracking/unsubscribe?t=${yield* sign({ ...base, kind: "unsubscribe" })}`), 200, "You are unsubscribed")
      expect((yield* applied(delivery.id)).delivery.status).toBe("unsubscribed")
    }))
})
