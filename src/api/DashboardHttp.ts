import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect } from "effect"
import { AppConfig } from "../AppConfig.js"
import { assetsPath, buildDashboard } from "./DashboardAssets.js"

/** What the page may load: its own script and styles, and requests to this service only. */
export const contentSecurityPolicy =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

const hardening = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY"
}

const notFound = HttpServerResponse.unsafeJson({ error: "NotFound", message: "no such dashboard asset" }, { status: 404 })

/**
 * `/dashboard` (the page), `/dashboard/assets/<hashed name>` (its script and styles, cached for a year:
 * a new build has new names) and `/` redirecting to the page. The bundle is built once, on the first
 * request (a service that nobody opens the dashboard of never pays for it).
 */
export const DashboardLive = HttpApiBuilder.Router.use((router) =>
  Effect.gen(function* () {
    const bundle = yield* Effect.cached(Effect.orDie(buildDashboard))
    const page = Effect.map(bundle, ({ page }) =>
      HttpServerResponse.text(page, {
        contentType: "text/html; charset=utf-8",
        headers: { ...hardening, "content-security-policy": contentSecurityPolicy, "cache-control": "no-cache" }
      }))
    const { publicBaseUrl } = yield* AppConfig
    yield* Effect.logInfo(`dashboard at ${publicBaseUrl}/dashboard`)
    yield* router.get("/", Effect.succeed(HttpServerResponse.redirect("/dashboard", { status: 302 })))
    yield* router.get("/dashboard", page)
    yield* router.get(`${assetsPath}/:name`, Effect.gen(function* () {
      const { params } = yield* HttpRouter.RouteContext
      const asset = (yield* bundle).assets.get(params.name ?? "")
      if (asset === undefined) return notFound
      return HttpServerResponse.uint8Array(asset.body, {
        contentType: asset.contentType,
        headers: { ...hardening, "cache-control": "public, max-age=31536000, immutable" }
      })
    }))
  }))
