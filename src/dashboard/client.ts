import { Either, ParseResult, Schema } from "effect"
import { adminCredentials, orgCredentials } from "./session.js"
import type { SseHandlers } from "./sse.js"
import { sseParser } from "./sse.js"

/** An answer the dashboard can show: the service's own error message, or what went wrong on the way. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message)
  }
}

export type Query = Readonly<Record<string, string | number | undefined>>

const ErrorBody = Schema.Struct({ error: Schema.String, message: Schema.String })

const url = (path: string, query: Query = {}) => {
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== "") params.set(name, String(value))
  const search = params.toString()
  return search === "" ? path : `${path}?${search}`
}

type Who = "org" | "admin"

const headersFor = (who: Who): Record<string, string> => {
  if (who === "admin") {
    const key = adminCredentials()
    if (key === undefined) throw new ApiError(401, "Sign in with the admin key to see this.")
    return { authorization: `Bearer ${key}` }
  }
  const org = orgCredentials()
  if (org === undefined) throw new ApiError(401, "Sign in with an org token to see this.")
  return { authorization: `Bearer ${org.token}`, orgid: org.orgId }
}

const send = async (who: Who, method: string, path: string, query?: Query, body?: unknown, signal?: AbortSignal) => {
  const response = await fetch(url(path, query), {
    method,
    headers: { ...headersFor(who), ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    ...(signal === undefined ? {} : { signal }),
    credentials: "omit",
    cache: "no-store"
  })
  if (!response.ok) {
    const text = await response.text()
    const parsed = Schema.decodeUnknownEither(Schema.parseJson(ErrorBody))(text)
    throw new ApiError(response.status, Either.isRight(parsed) ? parsed.right.message : `${response.status} ${response.statusText}`)
  }
  return response
}

/** Decodes an answer with the view's Schema (only the fields it shows): a changed API is a clear message, not a blank view. */
const decode = <A, I>(schema: Schema.Schema<A, I>, path: string, json: unknown): A => {
  const result = Schema.decodeUnknownEither(schema)(json)
  if (Either.isLeft(result)) throw new ApiError(0, `${path} answered in an unexpected shape: ${ParseResult.TreeFormatter.formatErrorSync(result.left)}`)
  return result.right
}

export const request = async <A, I>(schema: Schema.Schema<A, I>, method: string, path: string, options: { query?: Query; body?: unknown; who?: Who } = {}) =>
  decode(schema, path, await (await send(options.who ?? "org", method, path, options.query, options.body)).json())

export const get = <A, I>(schema: Schema.Schema<A, I>, path: string, query?: Query, who: Who = "org") =>
  request(schema, "GET", path, { ...(query === undefined ? {} : { query }), who })

/** Fetches a CSV with the credentials in headers and hands it to the browser as a download. */
export const download = async (path: string, query: Query, fileName: string) => {
  const blob = await (await send("org", "GET", path, query)).blob()
  const link = document.createElement("a")
  link.href = URL.createObjectURL(blob)
  link.download = fileName
  document.body.append(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000)
}

/**
 * Reads a Server-Sent Events stream with fetch (EventSource cannot send headers, and the token must not
 * go in the URL), calling `on.event` per message and `on.comment` per comment (`: subscribed`,
 * `: heartbeat`) until `signal` aborts or the stream ends.
 */
export const stream = async (path: string, on: SseHandlers, signal: AbortSignal) => {
  const response = await send("org", "GET", path, undefined, undefined, signal)
  const reader = response.body?.getReader()
  if (reader === undefined) throw new ApiError(0, "the stream has no body")
  const decoder = new TextDecoder()
  const parse = sseParser(on)
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return
    parse(decoder.decode(value, { stream: true }))
  }
}
