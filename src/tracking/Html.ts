import type { DefaultTreeAdapterTypes as T } from "parse5"
import { defaultTreeAdapter, parse, parseFragment, serialize } from "parse5"
import { escapeHtml } from "./Pages.js"
import { isHttpUrl } from "./Links.js"

/**
 * Rewriting a mail's HTML with a real parser (parse5, the WHATWG algorithm browsers use), so
 * attributes in any quoting, entities and odd markup are read the way a mail client reads them.
 * A whole document stays a document; a fragment (no doctype, no <html>, <head> or <body> tag in the
 * source) stays a fragment.
 */

export interface Plan {
  readonly unsubscribeUrl: string
  readonly pixelUrl: string
  /** The tracked URL for a link target listed by `trackableLinks`. */
  readonly clickUrl: (url: string) => string
  /** Links that must not be wrapped: the tracking endpoints themselves (the unsubscribe link among them). */
  readonly isOwn: (url: string) => boolean
}

type Root = T.Document | T.DocumentFragment

const placeholder = /\{\{\s*unsubscribeUrl\s*\}\}|%7B%7B\s*unsubscribeUrl\s*%7D%7D/gi

const isElement = (node: T.Node): node is T.Element => "tagName" in node
const isText = (node: T.Node): node is T.TextNode => node.nodeName === "#text"

const walk = (node: T.Node, visit: (node: T.Node) => void): void => {
  visit(node)
  if ("content" in node) walk(node.content, visit)
  if ("childNodes" in node) for (const child of node.childNodes) walk(child, visit)
}

const hasSourceTag = (node: T.Node | undefined) => node !== undefined && isElement(node) && node.sourceCodeLocation != null

const parseMail = (html: string): { readonly root: Root; readonly end: T.ParentNode } => {
  const document = parse(html, { sourceCodeLocationInfo: true })
  const root = document.childNodes.find((n) => n.nodeName === "html")
  const parts = root !== undefined && isElement(root) ? root.childNodes : []
  const body = parts.find((n) => n.nodeName === "body")
  const whole = document.childNodes.some((n) => n.nodeName === "#documentType") || [root, ...parts].some(hasSourceTag)
  if (!whole) {
    const fragment = parseFragment(html)
    return { root: fragment, end: fragment }
  }
  return { root: document, end: body !== undefined && isElement(body) ? body : root !== undefined && isElement(root) ? root : document }
}

/** Replaces the placeholder in every text and attribute; returns how many were replaced. */
const replacePlaceholders = (root: Root, unsubscribeUrl: string): number => {
  let count = 0
  const replace = (text: string) => text.replace(placeholder, () => {
    count++
    return unsubscribeUrl
  })
  walk(root, (node) => {
    if (isText(node)) node.value = replace(node.value)
    if (isElement(node)) for (const attribute of node.attrs) attribute.value = replace(attribute.value)
  })
  return count
}

const links = (root: Root, isOwn: (url: string) => boolean): ReadonlyArray<{ readonly attribute: T.Element["attrs"][number]; readonly url: string }> => {
  const found: Array<{ attribute: T.Element["attrs"][number]; url: string }> = []
  walk(root, (node) => {
    if (!isElement(node) || (node.tagName !== "a" && node.tagName !== "area")) return
    const href = node.attrs.find((a) => a.name === "href")
    // URL parsing strips surrounding whitespace too (WHATWG URL); mailto:, tel: and #anchors are not http(s).
    const url = href?.value.trim()
    if (href !== undefined && url !== undefined && isHttpUrl(url) && !isOwn(url)) found.push({ attribute: href, url })
  })
  return found
}

const prepared = (html: string, unsubscribeUrl: string) => {
  const parsed = parseMail(html)
  return { ...parsed, replaced: replacePlaceholders(parsed.root, unsubscribeUrl) }
}

const append = (parent: T.ParentNode, html: string) => {
  for (const node of parseFragment(html).childNodes) defaultTreeAdapter.appendChild(parent, node)
}

/** The distinct http(s) targets of the mail's <a> and <area> links that would be tracked. */
export const trackableLinks = (html: string, plan: Pick<Plan, "unsubscribeUrl" | "isOwn">): ReadonlyArray<string> =>
  [...new Set(links(prepared(html, plan.unsubscribeUrl).root, plan.isOwn).map((l) => l.url))]

/** Links wrapped, `{{unsubscribeUrl}}` replaced (or a footer with the link added), the pixel last. */
export const rewriteMail = (html: string, plan: Plan): string => {
  const { root, end, replaced } = prepared(html, plan.unsubscribeUrl)
  for (const link of links(root, plan.isOwn)) link.attribute.value = plan.clickUrl(link.url)
  if (replaced === 0) {
    append(end, `<p style="font-size:12px;color:#666666;text-align:center">Don't want these messages? <a href="${escapeHtml(plan.unsubscribeUrl)}">Unsubscribe</a></p>`)
  }
  append(end, `<img src="${escapeHtml(plan.pixelUrl)}" width="1" height="1" alt="" style="display:none">`)
  return serialize(root)
}
