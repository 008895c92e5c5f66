import type { DefaultTreeAdapterTypes as T } from "parse5"
import { parse, parseFragment } from "parse5"

const walk = (node: T.Node, visit: (node: T.Node) => void): void => {
  visit(node)
  if ("childNodes" in node) for (const child of node.childNodes) walk(child, visit)
}

/** The elements of a tag, with their attributes, as a browser would parse the HTML. */
export const elements = (html: string, tag: string): ReadonlyArray<Readonly<Record<string, string>>> => {
  const found: Array<Record<string, string>> = []
  walk(parse(html), (node) => {
    if ("tagName" in node && node.tagName === tag) found.push(Object.fromEntries(node.attrs.map((a) => [a.name, a.value])))
  })
  return found
}

const blocks = new Set(["p", "div", "h1", "h2", "h3", "main", "footer", "form", "li", "br", "td", "tr"])

/** The text a reader sees (no markup, no style), whitespace collapsed. */
export const visibleText = (html: string): string => {
  const parts: Array<string> = []
  walk(parse(html), (node) => {
    if (blocks.has(node.nodeName)) parts.push(" ")
    if (node.nodeName === "#text" && "value" in node && node.parentNode !== null && !["style", "title", "script"].includes(node.parentNode.nodeName)) parts.push(node.value)
  })
  return parts.join("").replace(/\s+/g, " ").trim()
}

/** The top-level node names of the HTML parsed as a fragment. */
export const fragmentRoots = (html: string): ReadonlyArray<string> => parseFragment(html).childNodes.map((n) => n.nodeName)
