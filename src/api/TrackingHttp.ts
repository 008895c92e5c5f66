import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect, Layer, Option } from "effect"
import { AppConfig } from "../AppConfig.js"
import { Engagement } from "../tracking/Engagement.js"
import { transparentGif } from "../tracking/Gif.js"
import { clickRefusedPage, confirmPage, invalidLinkPage, securityPage, unavailablePage, unsubscribedPage } from "../tracking/Pages.js"
import type { Client } from "../tracking/Recorder.js"
import { TrackingServices } from "../tracking/Services.js"
import type { UnsubscribeTarget } from "../tracking/Unsubscribes.js"
import { Unsubscribes } from "../tracking/Unsubscribes.js"
import { Api } from "./Api.js"

const clientOf = (request: HttpServerRequest.HttpServerRequest): Client => {
  const forwarded = request.headers["x-forwarded-for"]?.split(",")[0]?.trim()
  return {
    ip: forwarded === undefined || forwarded === "" ? Option.getOrUndefined(request.remoteAddress) : forwarded,
    userAgent: request.headers["user-agent"]
  }
}

const noStore = { "cache-control": "no-store", "referrer-policy": "no-referrer" }

/** Self-contained pages: nothing loads from elsewhere, nothing may frame them (the button is not clickjackable). */
const htmlPage = (status: number, body: string, headers: Record<string, string> = {}) =>
  HttpServerResponse.text(body, {
    status,
    contentType: "text/html; charset=utf-8",
    headers: {
      ...noStore,
      "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      "x-content-type-options": "nosniff",
      ...headers
    }
  })

const recipientOf = (target: UnsubscribeTarget) => ({
  channel: target.delivery.channel,
  address: target.delivery.recipient,
  category: target.claims.category,
  listName: target.listName
})

export const TrackingLive = HttpApiBuilder.group(Api, "tracking", (handlers) =>
  Effect.gen(function* () {
    const { unsubscribeOnGet } = yield* AppConfig
    const engagement = yield* Engagement
    const unsubscribes = yield* Unsubscribes

    /** Confirms (or only asks, for a GET), never redirects: RFC 8058 §3.2. */
    const unsubscribe = (token: string | undefined, client: Client, act: boolean) =>
      Effect.gen(function* () {
        const target = yield* unsubscribes.target(token)
        const recipient = recipientOf(target)
        if (target.claims.category === "security") return htmlPage(200, securityPage(recipient))
        if (!act) return htmlPage(200, confirmPage(recipient))
        yield* unsubscribes.unsubscribe(target, client)
        return htmlPage(200, unsubscribedPage(recipient))
      }).pipe(
        Effect.catchTags({
          TrackingRefused: (refused) =>
            Effect.succeed(
              refused.reason === "not-configured"
                ? htmlPage(503, unavailablePage())
                : htmlPage(refused.reason === "unknown-delivery" ? 404 : 400, invalidLinkPage())
            ),
          InboxOverloaded: (e) => Effect.succeed(htmlPage(503, unavailablePage(), { "retry-after": String(e.retryAfterSeconds) }))
        })
      )

    return handlers
      .handle("pixel", ({ request, urlParams }) =>
        Effect.as(
          engagement.open(urlParams.t, clientOf(request)),
          HttpServerResponse.uint8Array(transparentGif, { contentType: "image/gif", headers: noStore })
        ))
      .handle("click", ({ request, urlParams }) =>
        engagement.click(urlParams.t, urlParams.url, clientOf(request)).pipe(
          // As a browser would follow the original href: non-ASCII percent-encoded (a header is bytes), host in punycode.
          Effect.map((url) => HttpServerResponse.redirect(new URL(url).href, { status: 302, headers: noStore })),
          Effect.catchTag("TrackingRefused", (refused) => Effect.succeed(htmlPage(400, clickRefusedPage(refused.message))))
        ))
      .handle("unsubscribePage", ({ request, urlParams }) => unsubscribe(urlParams.t, clientOf(request), unsubscribeOnGet))
      .handle("unsubscribe", ({ request, urlParams }) => unsubscribe(urlParams.t, clientOf(request), true))
  })).pipe(Layer.provide(TrackingServices))
