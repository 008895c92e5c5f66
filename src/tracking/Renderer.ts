import { Data, Effect, Option } from "effect"
import { AppConfig } from "../AppConfig.js"
import type { Category, Channel } from "../domain/Event.js"
import { BroadcastRepository } from "../storage/BroadcastRepository.js"
import { DeliveryRepository } from "../storage/DeliveryRepository.js"
import { rewriteMail, trackableLinks } from "./Html.js"
import { trackingLinks } from "./Links.js"
import type { TrackingClaims } from "./Tokens.js"
import { TrackingTokens, urlHash } from "./Tokens.js"

/** The delivery by id, or by its broadcast, recipient and channel; then the mail to make trackable. */
export interface RenderInput {
  readonly deliveryId?: number | undefined
  readonly broadcastId?: string | undefined
  readonly recipient?: string | undefined
  readonly channel?: Channel | undefined
  readonly html: string
  readonly category?: Category | undefined
}

export class RenderRefused extends Data.TaggedError("RenderRefused")<{
  readonly kind: "bad-request" | "not-found" | "unavailable"
  readonly message: string
}> {}

const refused = (kind: RenderRefused["kind"], message: string) => new RenderRefused({ kind, message })

/**
 * Makes one recipient's copy of a mail trackable: every http(s) link through the click endpoint
 * (a token per link, bound to that URL's hash), the open pixel, the unsubscribe link and the RFC 8058
 * headers that go with it. The category defaults to the broadcast's.
 */
export class Renderer extends Effect.Service<Renderer>()("Sendtrail/Renderer", {
  effect: Effect.gen(function* () {
    const tokens = yield* TrackingTokens
    const deliveries = yield* DeliveryRepository
    const broadcasts = yield* BroadcastRepository
    const links = trackingLinks((yield* AppConfig).publicBaseUrl)

    const find = (orgId: string, input: RenderInput) =>
      Effect.gen(function* () {
        if (input.deliveryId !== undefined) {
          const id = input.deliveryId
          const found = Option.filter(yield* deliveries.findById(id), (d) => d.orgId === orgId)
          return yield* Option.match(found, { onNone: () => Effect.fail(refused("not-found", `no delivery ${id} in this organisation`)), onSome: Effect.succeed })
        }
        const { broadcastId, recipient, channel } = input
        if (broadcastId === undefined && recipient === undefined && channel === undefined) {
          return yield* refused("bad-request", "deliveryId: required, or broadcastId, recipient and channel together")
        }
        if (broadcastId === undefined) return yield* refused("bad-request", "broadcastId: required with recipient and channel")
        if (recipient === undefined) return yield* refused("bad-request", "recipient: required with broadcastId and channel")
        if (channel === undefined) return yield* refused("bad-request", "channel: required with broadcastId and recipient")
        const found = yield* deliveries.findForRecipient(orgId, broadcastId, channel, recipient)
        return yield* Option.match(found, {
          onNone: () => Effect.fail(refused("not-found", `no ${channel} delivery to that recipient in broadcast '${broadcastId}'`)),
          onSome: Effect.succeed
        })
      })

    const render = Effect.fn("Renderer.render")(function* (orgId: string, input: RenderInput) {
      const delivery = yield* find(orgId, input)
      const broadcast = delivery.broadcastId === null
        ? Option.none()
        : Option.filter(yield* broadcasts.findById(delivery.broadcastId), (b) => b.orgId === orgId)
      const category = input.category ?? Option.getOrUndefined(Option.map(broadcast, (b) => b.category))
      const base = {
        orgId, deliveryId: delivery.id, channel: delivery.channel,
        ...(delivery.broadcastId === null ? {} : { broadcastId: delivery.broadcastId }),
        ...(delivery.contactId === null ? {} : { contactId: delivery.contactId }),
        ...(category === undefined ? {} : { category })
      }
      const sign = (claims: TrackingClaims) => Effect.mapError(tokens.sign(claims), (e) => refused("unavailable", e.message))
      const unsubscribeUrl = links.unsubscribe(yield* sign({ ...base, kind: "unsubscribe" }))
      const pixelUrl = links.pixel(yield* sign({ ...base, kind: "open" }))
      const targets = trackableLinks(input.html, { unsubscribeUrl, isOwn: links.isOwn })
      const clicks = new Map(yield* Effect.forEach(targets, (url) =>
        Effect.map(sign({ ...base, kind: "click", urlHash: urlHash(url) }), (token) => [url, links.click(token, url)] as const)))
      return {
        html: rewriteMail(input.html, { unsubscribeUrl, pixelUrl, isOwn: links.isOwn, clickUrl: (url) => clicks.get(url) ?? url }),
        headers: { "List-Unsubscribe": `<${unsubscribeUrl}>`, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" as const },
        unsubscribeUrl,
        pixelUrl
      }
    })

    return { render } as const
  })
}) {}
