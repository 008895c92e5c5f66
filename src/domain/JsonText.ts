/** Deeper bodies are refused before parsing: no provider or client nests anywhere near this. */
export const maxJsonDepth = 64

export const unstorableMessage = "text must not hold NUL (\\u0000) or an unpaired UTF-16 surrogate"

/** Text PostgreSQL cannot store (`text` and `jsonb` refuse NUL; a lone surrogate is not Unicode). */
const unstorable = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

const isHexCode = (text: string, at: number, low: number, high: number) => {
  const code = Number.parseInt(text.slice(at, at + 4), 16)
  return code >= low && code <= high
}

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
 * Checks JSON text before it is trusted, in one pass without parsing: nesting at most `maxJsonDepth`
 * (JSON.parse recurses, so a deep body would overflow the stack), and no `\u0000` or lone-surrogate
 * escape in any string. Returns what is wrong (naming the field for a string), or undefined. The
 * text need not be valid JSON: the parser judges that afterwards.
 */
export const jsonTextProblem = (text: string): string | undefined => {
  let depth = 0
  let inString = false
  let suspect = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x22) inString = false
      else if (c === 0x5c) {
        // \u0000, or a \uD800–\uDFFF escape: look closer once parsed (a pair of escapes is fine).
        if (text.charCodeAt(i + 1) === 0x75 && (isHexCode(text, i + 2, 0, 0) || isHexCode(text, i + 2, 0xd800, 0xdfff))) suspect = true
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
    parsed = JSON.parse(text)
  } catch {
    return undefined
  }
  const path = findUnstorable(parsed, "")
  return path === undefined ? undefined : `${path}: ${unstorableMessage}`
}

/** Text made storable for diagnostics (an error message quoting a body): each offending unit becomes U+FFFD. */
export const storable = (text: string): string => text.replace(new RegExp(unstorable.source, "g"), "\ufffd")

/** The same check for values already decoded from a form or a query: the name of the first unstorable field. */
export const unstorableField = (fields: Iterable<readonly [string, string]>): string | undefined => {
  for (const [key, value] of fields) if (unstorable.test(key) || unstorable.test(value)) return key
  return undefined
}
