import { createHash, createHmac } from "node:crypto"
import { Config, Effect, Option, Redacted, Schema } from "effect"
import type { Channel, EventDetails, EventType, NormalizedEvent } from "../domain/Event.js"
import { normalizeAddress } from "../domain/Event.js"
import { unstorableField, unstorableMessage } from "../domain/JsonText.js"
import type { Correlation } from "./Fields.js"
import { correlationOf, expecting, mandatory, NonBlank, oneOf, trimmed } from "./Fields.js"
import type { Provider, WebhookRequest } from "./Webhook.js"
import { decodeFirst, PayloadRejected, sameBytes, show, SignatureRejected } from "./Webhook.js"

/** Twilio Programmable Messaging status callbacks (SMS, MMS, WhatsApp); see PROVIDERS.md section 6. */
export const vendor = "twilio"

export const Secrets = Schema.Struct({ authToken: Schema.Redacted(NonBlank) })
export type Secrets = typeof Secrets.Type

export const envSecrets: Config.Config<Option.Option<Secrets>> = Config.redacted("TWILIO_AUTH_TOKEN").pipe(
  Config.option,
  Config.map(Option.filter((token) => Redacted.value(token).trim() !== "")),
  Config.map(Option.map((authToken) => ({ authToken })))
)

type Param = readonly [name: string, value: string]

const text = new TextDecoder("utf-8")

// A leading "&" keeps URLSearchParams from dropping a leading "?" of the body as if it were a query.
export const formParams = (rawBody: Uint8Array): ReadonlyArray<Param> => [...new URLSearchParams(`&${text.decode(rawBody)}`)]

const queryOf = (url: string): URLSearchParams => {
  const withoutFragment = url.split("#")[0] ?? ""
  const start = withoutFragment.indexOf("?")
  return new URLSearchParams(start < 0 ? "" : withoutFragment.slice(start + 1))
}

const isJson = (contentType: string | undefined): boolean => /^application\/([\w.+-]*\+)?json\b/i.test(contentType?.trim() ?? "")

/**
 * The string Twilio signs: the URL, then every parameter sorted by name as name + value. A repeated
 * name contributes each distinct value once, values sorted (twilio-node `toFormUrlEncodedParam`).
 */
const signedString = (url: string, params: ReadonlyArray<Param>): string => {
  const byName = new Map<string, Set<string>>()
  for (const [name, value] of params) byName.set(name, (byName.get(name) ?? new Set<string>()).add(value))
  const pairsOf = (name: string) => [...byName.get(name) ?? []].sort().map((value) => name + value).join("")
  return [...byName.keys()].sort().reduce((signed, name) => signed + pairsOf(name), url)
}

/** The `X-Twilio-Signature` Twilio would send for this URL and these form parameters (none for a bodySHA256 URL). */
export const sign = (authToken: string, url: string, params: ReadonlyArray<Param> = []): string =>
  createHmac("sha1", authToken).update(signedString(url, params), "utf8").digest("base64")

const defaultPorts: Record<string, string> = { "http:": "80", "https:": "443" }
const urlParts = /^([a-z][a-z0-9+.-]*:)\/\/([^/?#]*@)?(\[[^\]]*\]|[^:/?#]*)(?::(\d*))?([/?#].*)?$/is

/** twilio-node `validateRequest` accepts the URL without its port, or with the scheme's default port added. */
const portVariants = (url: string): ReadonlyArray<string> => {
  const parts = urlParts.exec(url)
  if (parts === null) return [url]
  const [, scheme = "", userinfo = "", host = "", port, rest = ""] = parts
  const origin = `${scheme}//${userinfo}${host}`
  const fallback = defaultPorts[scheme.toLowerCase()]
  return [url, origin + rest, ...(port === undefined && fallback !== undefined ? [`${origin}:${fallback}${rest}`] : [])]
}

/**
 * The query as it may have been on the wire: Bun (like WHATWG `URL`) percent-encodes `'`, `"`, `<` and
 * `>` in a query before the service sees it, while twilio-node signs the URL as the sender gave it.
 * (A sender's own `%27` stays as received in the other variant.)
 */
const wireQuery = (url: string): string => {
  const start = url.indexOf("?")
  if (start < 0) return url
  return url.slice(0, start) + url.slice(start).replace(/%(27|22|3C|3E)/gi, (escape) => decodeURIComponent(escape))
}

/** The URL as received, as it was on the wire, and as WHATWG `URL` re-serializes it (twilio-node signs that), each with its port variants. */
const signedUrls = (url: string): ReadonlyArray<string> =>
  [...new Set([url, wireQuery(url), URL.canParse(url) ? new URL(url).href : url].flatMap(portVariants))]

const reject = (check: string, message: string) => new SignatureRejected({ check, message })

/**
 * Checks `X-Twilio-Signature` (base64 HMAC-SHA1 keyed with the auth token) over the public URL and
 * the form parameters; for a URL carrying `bodySHA256` (JSON bodies), over the URL alone, and then the
 * body's SHA-256 against that parameter (twilio-node `validateRequestWithBody`).
 */
export const verify = Effect.fnUntraced(function* (secrets: Secrets | undefined, request: WebhookRequest) {
  const authToken = secrets === undefined ? "" : Redacted.value(secrets.authToken)
  if (authToken.trim() === "") {
    return yield* reject(
      "missing-secret",
      "no Twilio auth token: set TWILIO_AUTH_TOKEN, or give the connection an authToken secret; unverified callbacks are refused"
    )
  }
  const header = request.headers["x-twilio-signature"]?.trim() ?? ""
  if (header === "") return yield* reject("missing-signature", "the X-Twilio-Signature header is missing")
  if (!/^[A-Za-z0-9+/]{27}=$/.test(header)) {
    return yield* reject("malformed-signature", "the X-Twilio-Signature header is not a base64 HMAC-SHA1 (28 characters)")
  }
  const bodyHash = queryOf(request.url).get("bodySHA256")
  if (bodyHash === null && isJson(request.headers["content-type"])) {
    return yield* reject("missing-body-hash", "a JSON body is signed only through a bodySHA256 query parameter, and the URL has none")
  }
  const params = bodyHash === null ? formParams(request.rawBody) : []
  const expected = Buffer.from(header)
  if (!signedUrls(request.url).some((url) => sameBytes(expected, Buffer.from(sign(authToken, url, params))))) {
    return yield* reject(
      "signature-mismatch",
      "the X-Twilio-Signature header does not match the URL and parameters: " +
        "check the auth token and that PUBLIC_BASE_URL is the URL Twilio calls"
    )
  }
  const actual = createHash("sha256").update(request.rawBody).digest("hex")
  if (bodyHash !== null && !sameBytes(Buffer.from(bodyHash.toLowerCase()), Buffer.from(actual))) {
    return yield* reject("body-hash-mismatch", "the body's SHA-256 does not equal the bodySHA256 query parameter of the URL")
  }
})

/** Twilio REST `MessageEnumStatus`. */
export const Status = Schema.Literal(
  "queued", "sending", "sent", "failed", "delivered", "undelivered", "receiving", "received", "accepted", "scheduled", "read",
  "partially_delivered", "canceled"
)
export type Status = typeof Status.Type

/**
 * Inbound and partially_delivered (meaning undocumented) statuses map to nothing and are skipped,
 * except a WhatsApp `received` that is a receipt, not an inbound message (`typeOf`).
 */
export const typeOfStatus: Record<Status, EventType | undefined> = {
  accepted: "queued",
  scheduled: "queued",
  queued: "queued",
  sending: "sending",
  sent: "sent",
  delivered: "delivered",
  read: "opened",
  undelivered: "failed",
  failed: "failed",
  canceled: "failed",
  receiving: undefined,
  received: undefined,
  partially_delivered: undefined
}

/** PROVIDERS.md 6.5: the codes that say something about the recipient. */
export const errorReasons: Readonly<Record<string, string>> = {
  "21211": "invalid 'To' phone number",
  "21610": "the recipient replied STOP and is unsubscribed from this sender",
  "21612": "the 'To' and 'From' numbers cannot be connected",
  "21614": "'To' is not a valid mobile number",
  "21635": "'To' is a landline",
  "30003": "unreachable destination handset",
  "30004": "message blocked by the carrier or the recipient",
  "30005": "unknown destination handset: the number is unknown, inactive or no longer in service",
  "30006": "landline or unreachable carrier",
  "30007": "message filtered by Twilio or the carrier",
  "30008": "unknown error",
  "63014": "the WhatsApp user blocked the sender or opted out"
}

/**
 * A WhatsApp message's `read` (the blue ticks) is its open; `received` reaches this route as a receipt
 * of the recipient's device (the seed: read receipts "read, received" go into the row's events), so it
 * is a delivery. An inbound message is also `received`, but carries a Body (Twilio's incoming message
 * webhook): it stays skipped, as on SMS.
 */
const typeOf = (status: Status, channel: Channel, params: ReadonlyArray<Param>): EventType | undefined =>
  status === "received" && channel === "whatsapp" && !params.some(([name]) => name === "Body" || name === "NumMedia")
    ? "delivered"
    : typeOfStatus[status]

const statusExpected = oneOf(Status.literals)

const Callback = Schema.Struct({
  MessageSid: mandatory(Schema.String, "is missing (and so is SmsSid)"),
  MessageStatus: mandatory(expecting(Status, statusExpected), `is missing (and so is SmsStatus): expected ${statusExpected}`),
  To: mandatory(Schema.String, "is missing: expected the recipient's number (+E.164, or whatsapp:+E.164)"),
  ErrorCode: Schema.optional(Schema.String),
  ErrorMessage: Schema.optional(Schema.String),
  ChannelPrefix: Schema.optional(Schema.String)
})
type Callback = typeof Callback.Type

const decodeCallback = decodeFirst(Callback)

/** The first non-empty value of each parameter, trimmed; MessageSid and MessageStatus fall back to SmsSid and SmsStatus. */
export const fieldsOf = (params: ReadonlyArray<Param>): Record<string, string> => {
  const fields = new Map<string, string>()
  for (const [name, value] of params) if (!fields.has(name) && value.trim() !== "") fields.set(name, value.trim())
  for (const [name, alias] of [["MessageSid", "SmsSid"], ["MessageStatus", "SmsStatus"]] as const) {
    const fallback = fields.get(alias)
    if (!fields.has(name) && fallback !== undefined) fields.set(name, fallback)
  }
  return Object.fromEntries(fields)
}

/** WhatsApp is its own channel; RCS and MMS reach a phone number like SMS; other channels (Messenger, …) are not tracked. */
const channelOf = (prefix: string | undefined): Channel | undefined =>
  prefix === undefined || ["sms", "mms", "rcs"].includes(prefix) ? "sms" : prefix === "whatsapp" ? "whatsapp" : undefined

/** Twilio callbacks carry no metadata: senders append broadcastId, contactId and senderAccountId to the StatusCallback URL. */
const correlationOfUrl = (url: string): Correlation => {
  const query = queryOf(url)
  return correlationOf((key) => trimmed(query.get(key)))
}

const detailsOf = (callback: Callback, status: Status): EventDetails => {
  const code = callback.ErrorCode
  const reason = callback.ErrorMessage ?? (code !== undefined && Object.hasOwn(errorReasons, code) ? errorReasons[code] : undefined) ??
    (status === "canceled" ? "the scheduled message was canceled before it was sent" : undefined)
  return { ...(code === undefined ? {} : { errorCode: code }), ...(reason === undefined ? {} : { reason }) }
}

/**
 * Decodes one form-urlencoded status callback into at most one event. The callback has no event time,
 * so occurredAt is the receipt time (RawDlrDoneDate has no time zone, per Twilio's changelog of 2023-02-14).
 */
export const decode = Effect.fnUntraced(function* (request: WebhookRequest, orgId: string) {
  if (isJson(request.headers["content-type"])) {
    return yield* new PayloadRejected({
      path: "",
      message: "the body is JSON: Twilio status callbacks are application/x-www-form-urlencoded (Event Streams is not supported)"
    })
  }
  const params = formParams(request.rawBody)
  const unstorable = unstorableField([...params, ...queryOf(request.url)])
  if (unstorable !== undefined) return yield* new PayloadRejected({ path: unstorable, message: `${unstorable}: ${unstorableMessage}` })
  const callback = yield* decodeCallback(fieldsOf(params))
  const status = callback.MessageStatus
  const prefixed = /^([a-z][a-z0-9-]*):(.*)$/is.exec(callback.To)
  const channel = channelOf((callback.ChannelPrefix ?? prefixed?.[1])?.toLowerCase())
  const type = channel === undefined ? undefined : typeOf(status, channel, params)
  if (type === undefined || channel === undefined) return []
  const address = (prefixed?.[2] ?? callback.To).trim()
  if (address === "") {
    return yield* new PayloadRejected({ path: "To", message: `To: expected a number after the channel prefix, got ${show(callback.To)}` })
  }
  const event: NormalizedEvent = {
    orgId,
    provider: vendor,
    providerEventId: `${callback.MessageSid}:${status}`,
    providerEventName: status,
    providerMessageId: callback.MessageSid,
    recipient: normalizeAddress(channel, address),
    channel,
    type,
    occurredAt: request.receivedAt,
    ...correlationOfUrl(request.url),
    details: detailsOf(callback, status)
  }
  return [event]
})

export const provider: Provider<Secrets> = { vendor, verify, decode }
