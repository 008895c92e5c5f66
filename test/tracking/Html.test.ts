import { describe, expect, it } from "@effect/vitest"
import { Option } from "effect"
import { rewriteMail, trackableLinks } from "../../src/tracking/Html.js"
import { decodeTarget, encodeTarget, trackingLinks } from "../../src/tracking/Links.js"
import { elements, fragmentRoots, visibleText } from "../support/trackingHtml.js"

const links = trackingLinks("https://track.example.com")
const unsubscribeUrl = links.unsubscribe("U.TOKEN.x")
const pixelUrl = links.pixel("P.TOKEN.x")
const plan = { unsubscribeUrl, pixelUrl, isOwn: links.isOwn, clickUrl: (url: string) => links.click("C.TOKEN.x", url) }

/** The destination a rewritten href leads to, or the href itself when it was left alone. */
const destination = (href: string | undefined) => {
  const encoded = href !== undefined && href.startsWith("https://track.example.com/api/tracking/click?") ? new URL(href).searchParams.get("url") : null
  return encoded === null ? href : Option.match(decodeTarget(encoded), { onNone: () => "undecodable", onSome: (url) => `tracked:${url}` })
}

describe("rewriting a mail's HTML", () => {
  it("every http(s) <a> and <area> link goes through the click endpoint; mailto, tel, anchors and script links stay", () => {
    const html = `<p><a href="https://shop.example/p?id=1&amp;x=2#top">Shop</a> <A HREF=' http://news.example/ '>News</A>
<a href="mailto:help@example.com">Mail</a> <a href="tel:+15551234">Call</a> <a href="#section">Jump</a> <a>none</a>
<a href="javascript:alert(1)">x</a></p><map><area href="https://map.example/x" alt="map"></map>`
    expect(trackableLinks(html, plan)).toEqual(["https://shop.example/p?id=1&x=2#top", "http://news.example/", "https://map.example/x"])
    const out = rewriteMail(html, plan)
    expect(elements(out, "a").map((a) => destination(a.href))).toEqual([
      "tracked:https://shop.example/p?id=1&x=2#top", "tracked:http://news.example/", "mailto:help@example.com", "tel:+15551234", "#section", undefined,
      "javascript:alert(1)", unsubscribeUrl
    ])
    expect(elements(out, "area").map((a) => destination(a.href))).toEqual(["tracked:https://map.example/x"])
  })

  it("a link's target survives the trip: its query string and fragment come back exactly", () => {
    const url = "https://shop.example/a b?q=ü&r=1/2#frag"
    expect(Option.getOrUndefined(decodeTarget(encodeTarget(url)))).toBe(url)
    expect(Option.isNone(decodeTarget(encodeTarget("javascript:alert(1)")))).toBe(true)
    expect(Option.isNone(decodeTarget("not base64url!"))).toBe(true)
  })

  it("{{unsubscribeUrl}} is replaced in text and attributes, that link is not wrapped, and no footer is added", () => {
    const out = rewriteMail(`<p>Bye: <a href="{{unsubscribeUrl}}">unsubscribe</a> or paste {{ unsubscribeUrl }}</p><a href="https://x.example/%7B%7BunsubscribeUrl%7D%7D">y</a>`, plan)
    expect(out).not.toMatch(/unsubscribeUrl/i)
    expect(elements(out, "a").map((a) => destination(a.href))).toEqual([unsubscribeUrl, `tracked:https://x.example/${unsubscribeUrl}`])
    expect(visibleText(out)).toContain(`or paste ${unsubscribeUrl}`)
    expect(visibleText(out)).not.toContain("Don't want these messages?")
  })

  it("without the placeholder an unsubscribe footer is appended, and the pixel comes last", () => {
    const out = rewriteMail("<p>Hello</p>", plan)
    expect(visibleText(out)).toBe("Hello Don't want these messages? Unsubscribe")
    expect(elements(out, "a").map((a) => a.href)).toEqual([unsubscribeUrl])
    expect(elements(out, "img")).toEqual([{ src: pixelUrl, width: "1", height: "1", alt: "", style: "display:none" }])
    expect(fragmentRoots(out)).toEqual(["p", "p", "img"])
  })

  it("a fragment stays a fragment; a whole document keeps its doctype and head, with the pixel last in its body", () => {
    expect(rewriteMail("<div>Hi {{unsubscribeUrl}}</div>", plan)).not.toMatch(/<html|<body|<head/)
    const out = rewriteMail(`<!DOCTYPE html><html><head><title>News</title><style>p{color:red}</style></head><body><p>Hi</p><footer>{{unsubscribeUrl}}</footer></body></html>`, plan)
    expect(out.startsWith("<!DOCTYPE html><html><head><title>News</title><style>p{color:red}</style></head><body>")).toBe(true)
    expect(out.endsWith(`<img src="${pixelUrl.replaceAll("&", "&amp;")}" width="1" height="1" alt="" style="display:none"></body></html>`)).toBe(true)
  })

  it("a style block at the start of a fragment stays in place", () => {
    expect(fragmentRoots(rewriteMail("<style>p{}</style><p>x {{unsubscribeUrl}}</p>", plan))).toEqual(["style", "p", "img"])
  })

  it("links already through the tracking endpoints are not wrapped twice", () => {
    const own = links.click("C.OTHER.x", "https://a.example/")
    expect(trackableLinks(`<a href="${own.replaceAll("&", "&amp;")}">x</a>`, plan)).toEqual([])
  })

  it("URLs with quotes and ampersands are escaped where they are written", () => {
    const odd = { ...plan, unsubscribeUrl: `https://track.example.com/api/tracking/unsubscribe?t=a&b="c"<d>` }
    const out = rewriteMail("<p>x</p>", odd)
    expect(elements(out, "a").map((a) => a.href)).toEqual([odd.unsubscribeUrl])
    expect(out).not.toContain(`"c"<d>`)
  })
})
