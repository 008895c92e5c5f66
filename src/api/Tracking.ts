import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"

const token = Schema.Struct({ t: Schema.optional(Schema.String) })

/** Recipients' browsers and mail clients read these: every answer is a page or an image, never JSON. */
const page = (status: number, description: string) =>
  HttpApiSchema.Text({ contentType: "text/html" }).annotations(HttpApiSchema.annotations({ status, description }))

/**
 * The links in sent mail (docs/tracking.md). No credentials: each carries a signed token naming the
 * delivery. Tracking events go through the inbox and pipeline like any provider's (provider `tracking`).
 */
export class TrackingApi extends HttpApiGroup.make("tracking")
  .add(
    HttpApiEndpoint.get("pixel", "/api/tracking/pixel.gif")
      .setUrlParams(token)
      .addSuccess(HttpApiSchema.Uint8Array({ contentType: "image/gif" }).annotations({ description: "The 43-byte transparent GIF, Cache-Control: no-store" }))
      .annotate(OpenApi.Summary, "Open pixel: records `opened` (proxies flagged machine); a bad or expired token still gets the GIF and records nothing")
  )
  .add(
    HttpApiEndpoint.get("click", "/api/tracking/click")
      .setUrlParams(Schema.Struct({ t: Schema.optional(Schema.String), url: Schema.optional(Schema.String) }))
      .addSuccess(HttpApiSchema.Empty(302).annotations({ description: "Redirect to the link's target (Location)" }))
      .addError(page(400, "A plain page: bad or expired token, or a url that is not the one the token was made for; never a redirect"))
      .annotate(OpenApi.Summary, "Click: records `clicked` with the url (scanners and bursts flagged machine), then 302 to it; url is base64url")
  )
  .add(
    HttpApiEndpoint.get("unsubscribePage", "/api/tracking/unsubscribe")
      .setUrlParams(token)
      .addSuccess(page(200, "Names the address and the list, with one Unsubscribe button (UNSUBSCRIBE_ON_GET=true: unsubscribes and confirms)"))
      .addError(page(400, "The link is invalid or expired"))
      .addError(page(404, "The delivery the link names no longer exists"))
      .addError(page(503, "The request could not be recorded now; retry (Retry-After)"))
      .annotate(OpenApi.Summary, "Unsubscribe page; a GET changes nothing unless UNSUBSCRIBE_ON_GET=true")
  )
  .add(
    HttpApiEndpoint.post("unsubscribe", "/api/tracking/unsubscribe")
      .setUrlParams(token)
      .addSuccess(page(200, "Confirmation; repeating it changes nothing"))
      .addError(page(400, "The link is invalid or expired"))
      .addError(page(404, "The delivery the link names no longer exists"))
      .addError(page(503, "The request could not be recorded now; retry (Retry-After)"))
      .annotate(OpenApi.Summary, "Unsubscribe now: the page's button, and RFC 8058 one-click (body List-Unsubscribe=One-Click, urlencoded or multipart)")
  ) {}
