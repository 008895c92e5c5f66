import { randomUUID, timingSafeEqual } from "node:crypto"
import { Clock, Data, DateTime, Effect, Option } from "effect"
import { isMachineUserAgent } from "../domain/Machine.js"
import type { InboxOverloaded } from "../ingest/Inbox.js"
import { WebhookStats } from "../ingest/WebhookStats.js"
import { decodeTarget } from "./Links.js"
import { makeClickBursts, soonAfterArrival } from "./MachineClicks.js"
import type { Client } from "./Recorder.js"
import { Recorder, TrackingRefused } from "./Recorder.js"
import { TrackingTokens, urlHash } from "./Tokens.js"

/** An app's report of a push notification or an in-app message shown, opened (read) or tapped. */
export interface AppEvent {
  readonly deliveryId?: number | undefined
  readonly token?: string | undefined
  readonly type: "delivered" | "opened" | "clicked"
  readonly url?: string | undefined
  readonly at?: DateTime.Utc | undefined
}

export class AppEventRefused extends Data.TaggedError("AppEventRefused")<{
  readonly kind: "bad-request" | "not-found" | "unavailable"
  readonly message: string
}> {}

/** The channels whose delivery only the app can see. */
const appDelivered = new Set(["in_app", "push"])

const sameHash = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b))

/**
 * Opens (the pixel), clicks (the redirect) and app-reported taps. A verified link is always honoured:
 * the GIF is always served and a matching click always redirects, even when recording it fails.
 */
export class Engagement extends Effect.Service<Engagement>()("Sendtrail/Engagement", {
  effect: Effect.gen(function* () {
    const recorder = yield* Recorder
    const tokens = yield* TrackingTokens
    const stats = yield* WebhookStats
    const inBurst = makeClickBursts()

    const counted = (refused: TrackingRefused) => stats.rejected("tracking", refused.reason)

    /** Recording is best effort behind a link that must work: an overloaded inbox or a failure is counted or logged. */
    const bestEffort = (effect: Effect.Effect<unknown, InboxOverloaded>) =>
      effect.pipe(
        Effect.catchTag("InboxOverloaded", () => stats.rejected("tracking", "overloaded")),
        Effect.catchAllCause((cause) => Effect.logError("tracking event not recorded", cause)),
        Effect.asVoid
      )

    const open = Effect.fn("Engagement.open")(function* (token: string | undefined, client: Client) {
      const claims = yield* recorder.claims(token, "open")
      const delivery = yield* recorder.deliveryOf(claims)
      yield* recorder.record(delivery, {
        type: "opened", source: "pixel", providerEventId: randomUUID(), client,
        machine: isMachineUserAgent(client.userAgent), category: claims.category
      })
    }, (effect) => bestEffort(Effect.catchTag(effect, "TrackingRefused", counted)))

    /** The URL to redirect to, once the click is recorded; refused unless the URL is the one the token was made for. */
    const click = Effect.fn("Engagement.click")(function* (token: string | undefined, encodedUrl: string | undefined, client: Client) {
      const claims = yield* recorder.claims(token, "click")
      if (encodedUrl === undefined || encodedUrl === "") return yield* new TrackingRefused({ reason: "missing-url", message: "the link has no destination" })
      const url = yield* Option.match(decodeTarget(encodedUrl), {
        onNone: () => Effect.fail(new TrackingRefused({ reason: "url-mismatch", message: "the destination is not a web address" })),
        onSome: Effect.succeed
      })
      if (claims.urlHash === undefined || !sameHash(urlHash(url), claims.urlHash)) {
        return yield* new TrackingRefused({ reason: "url-mismatch", message: "the destination is not the one this link was made for" })
      }
      const delivery = yield* recorder.deliveryOf(claims).pipe(
        // The URL is verified: a database that does not answer must not break the reader's link.
        Effect.catchAllDefect((defect) => Effect.as(Effect.logError("click not recorded: delivery lookup failed", defect), undefined))
      )
      if (delivery === undefined) return url
      const at = yield* Clock.currentTimeMillis
      const burst = inBurst(delivery.id, { url, at })
      const machine = burst || isMachineUserAgent(client.userAgent) || soonAfterArrival(delivery, at)
      yield* bestEffort(recorder.record(delivery, {
        type: "clicked", source: "click", providerEventId: randomUUID(), client, url, machine, category: claims.category,
        at: DateTime.unsafeMake(at)
      }))
      return url
    }, Effect.tapError(counted))

    const deliveryFor = (orgId: string, event: AppEvent) =>
      Effect.gen(function* () {
        const refused = (kind: AppEventRefused["kind"], message: string) => Effect.fail(new AppEventRefused({ kind, message }))
        if (event.deliveryId !== undefined && event.token !== undefined) return yield* refused("bad-request", "deliveryId: give deliveryId or token, not both")
        if (event.deliveryId === undefined && event.token === undefined) return yield* refused("bad-request", "deliveryId: required (or token)")
        const named = event.deliveryId ?? (yield* tokens.verify(event.token ?? "").pipe(
          Effect.map((claims) => (claims.orgId === orgId ? claims.deliveryId : undefined)),
          Effect.catchTags({
            TrackingTokenInvalid: (e) => refused("bad-request", `token: ${e.message}`),
            TrackingUnavailable: (e) => refused("unavailable", e.message)
          })
        ))
        if (named === undefined) return yield* refused("not-found", "no such delivery in this organisation")
        return yield* Effect.flatMap(recorder.delivery(orgId, named), Option.match({
          onNone: () => refused("not-found", `no delivery ${named} in this organisation`),
          onSome: Effect.succeed
        }))
      })

    /** Durable once it returns. */
    const appEvent = Effect.fn("Engagement.appEvent")(function* (orgId: string, event: AppEvent) {
      const delivery = yield* deliveryFor(orgId, event)
      if (event.type === "delivered" && !appDelivered.has(delivery.channel)) {
        return yield* new AppEventRefused({ kind: "bad-request", message: `type: an app reports 'delivered' for in_app and push deliveries only; delivery ${delivery.id} is ${delivery.channel}` })
      }
      yield* recorder.record(delivery, {
        type: event.type, source: "app", client: { ip: undefined, userAgent: undefined },
        // Shown once: a repeated report is the same event; every open and tap counts.
        providerEventId: event.type === "delivered" ? `app-delivered-${delivery.id}` : randomUUID(),
        url: event.url, at: event.at
      })
    })

    return { open, click, appEvent } as const
  })
}) {}
