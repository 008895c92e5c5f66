/** Deeper bodies are refused before parsing: no provider or client nests anywhere near this. */
export const maxJsonDepth = 64

export const unstorableMessage = "text must not hold NUL (\\u0000) or an unpaired UTF-16 surrogate"

/** Text PostgreSQL cannot store (`text` and `jsonb` refuse NUL; a lone surrogate is not Unicode). */
const unstorable = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/** The value of four hex digits at `at`, or -1. */
const hexAt = (codeAt: (i: number) => number, at: number): number => {
  let value = 0
  for (let i = at; i < at + 4; i++) {
    const c = codeAt(i)
    const digit = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1
    if (digit < 0) return -1
    value = value * 16 + digit
  }
  return value
}

const utf8 = new TextDecoder()

/** Where in a parsed value the first unstorable string is ("[2].data.reason"), keys included. */
const findUnstorable = (value: unknown, path: string): string | undefined => {
  if (typeof value === "string") return unstorable.test(value) ? path || "body" : undefined
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnstorable(value[i], `${path}[${i}]`)
      if (found !== undefined) return found
    }
    return undefined
  }
  if (value !== null && typeof value === "object") {
    for (const [key, inner] of Object.entries(value)) {
      const at = path === "" ? key : `${path}.${key}`
      if (unstorable.test(key)) return at
      const found = findUnstorable(inner, at)
      if (found !== undefined) return found
    }
  }
  return undefined
}

/**
 * Checks a JSON body (its bytes, or its text) before it is trusted, in one pass without parsing:
 * nesting at most `maxJsonDepth` (JSON.parse recurses, so a deep body would overflow the stack), and
 * no `\u0000` or lone-surrogate escape in any string. Returns what is wrong (naming the field for a
 * string), or undefined. The body need not be valid JSON: the parser judges that afterwards.
 */
export const jsonTextProblem = (body: string | Uint8Array): string | undefined => {
  const codeAt = typeof body === "string" ? (i: number) => body.charCodeAt(i) : (i: number) => body[i] ?? -1
  let depth = 0
  let inString = false
  let suspect = false
  for (let i = 0; i < body.length; i++) {
    const c = codeAt(i)
    if (inString) {
      if (c === 0x22) inString = false
      else if (c === 0x5c) {
        // \u0000, or a \uD800–\uDFFF escape: look closer once parsed (a pair of escapes is fine).
        if (codeAt(i + 1) === 0x75) {
          const code = hexAt(codeAt, i + 2)
          if (code === 0 || (code >= 0xd800 && code <= 0xdfff)) suspect = true
        }
        i++
      }
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxJsonDepth) return `the body nests deeper than ${maxJsonDepth} levels`
    } else if (c === 0x5d || c === 0x7d) depth--
  }
  if (!suspect) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(typeof body === "string" ? body : utf8.decode(body))
  } catch {
    return undefined
  }
  const path = findUnstorable(parsed, "")
  return path === undefined ? undefined : `${path}: ${unstorableMessage}`
}

const unstorableEverywhere = new RegExp(unstorable.source, "g")

/** Text made storable for diagnostics (an error message quoting a body): each offending unit becomes U+FFFD. */
export const storable = (text: string): string => text.replace(unstorableEverywhere, "\ufffd")

/** The same check for values already decoded from a form or a query: the name of the first unstorable field. */
export const unstorableField = (fields: Iterable<readonly [string, string]>): string | undefined => {
  for (const [key, value] of fields) if (unstorable.test(key) || unstorable.test(value)) return key
  return undefined
}

/**
 * The same check for a request URL's path and query, decoded (`/contacts/%00` names no row PostgreSQL
 * could store): what is wrong, naming the path or the query parameter, or undefined. Only a URL with an
 * escape can hold such text, so the common one costs a single scan.
 */
export const urlTextProblem = (pathAndQuery: string): string | undefined => {
  if (!pathAndQuery.includes("%")) return undefined
  const query = pathAndQuery.indexOf("?")
  const path = query < 0 ? pathAndQuery : pathAndQuery.slice(0, query)
  try {
    if (unstorable.test(decodeURIComponent(path))) return `path: ${unstorableMessage}`
  } catch {
    // A malformed escape: the router answers it as it answers any path it does not know.
  }
  const name = query < 0 ? undefined : unstorableField(new URLSearchParams(pathAndQuery.slice(query + 1)))
  return name === undefined ? undefined : `${name}: ${unstorableMessage}`
}
