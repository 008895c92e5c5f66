import { createHash } from "node:crypto"
import { Config, ConfigError, Effect, Either, Option, Redacted, Schema } from "effect"
import { normalize } from "./PostmarkEvents.js"
import type { Provider, WebhookRequest } from "./Webhook.js"
import { parseJson, PayloadRejected, sameBytes, SignatureRejected } from "./Webhook.js"

/** Postmark webhooks: unsigned, so the URL carries HTTP Basic credentials (postmarkapp.com/developer/webhooks/webhooks-overview). */
export const vendor = "postmark"

export { PayloadRejected, SignatureRejected }

const User = Schema.String.pipe(
  Schema.filter((user) => user !== "" && !user.includes(":"), { message: () => "expected a non-empty user name without a colon" })
)
const Password = Schema.String.pipe(Schema.filter((password) => password !== "", { message: () => "expected a non-empty password" }))

/** A connection's secrets: `{ "user": "…", "password": "…" }`, the credentials written into the webhook URL. */
export const Secrets = Schema.Struct({ user: Schema.Redacted(User), password: Schema.Redacted(Password) })
export type Secrets = typeof Secrets.Type

const setting = (name: string) =>
  Config.string(name).pipe(Config.option, Config.map(Option.filter((value) => value !== "")))

/** The default org's credentials from `POSTMARK_WEBHOOK_USER` and `POSTMARK_WEBHOOK_PASSWORD`: both, or neither. */
export const envSecrets: Config.Config<Option.Option<Secrets>> = Config.all([
  setting("POSTMARK_WEBHOOK_USER"),
  setting("POSTMARK_WEBHOOK_PASSWORD")
]).pipe(
  Config.mapOrFail(([user, password]) => {
    if (Option.isNone(user) && Option.isNone(password)) return Either.right(Option.none())
    if (Option.isNone(user) || Option.isNone(password)) {
      const [missing, present] = Option.isNone(user)
        ? ["POSTMARK_WEBHOOK_USER", "POSTMARK_WEBHOOK_PASSWORD"]
        : ["POSTMARK_WEBHOOK_PASSWORD", "POSTMARK_WEBHOOK_USER"]
      return Either.left(ConfigError.InvalidData([missing], `Expected ${missing} to be set along with ${present}: Postmark needs both`))
    }
    if (user.value.includes(":")) {
      return Either.left(ConfigError.InvalidData(["POSTMARK_WEBHOOK_USER"], "Expected a user name without a colon (HTTP Basic forbids it)"))
    }
    return Either.right(Option.some({ user: Redacted.make(user.value), password: Redacted.make(password.value) }))
  })
)

const digest = (text: string) => createHash("sha256").update(text, "utf8").digest()

/** The user and password of an `Authorization: Basic …` header, or undefined when there is none. */
const basicCredentials = (header: string | undefined): { user: string; password: string } | undefined => {
  const token = /^Basic\s+(\S+)$/i.exec(header?.trim() ?? "")?.[1]
  if (token === undefined) return undefined
  const decoded = Buffer.from(token, "base64").toString("utf8")
  const colon = decoded.indexOf(":")
  return colon < 0 ? { user: decoded, password: "" } : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
}

/** Checks the Basic credentials; both digests are always compared, so timing says nothing about which was wrong. */
export const verify = Effect.fnUntraced(function* (secrets: Secrets | undefined, request: WebhookRequest) {
  if (secrets === undefined) {
    return yield* new SignatureRejected({
      check: "missing-secret",
      message: "POSTMARK_WEBHOOK_USER and POSTMARK_WEBHOOK_PASSWORD are not set and the connection carries no credentials: " +
        "a Postmark connection must carry { user, password }"
    })
  }
  const given = basicCredentials(request.headers.authorization)
  if (given === undefined) {
    return yield* new SignatureRejected({
      check: "missing-credentials",
      message: "the Authorization header carries no Basic credentials: put them in the webhook URL (https://user:password@host/…)",
      status: 401
    })
  }
  const sameUser = sameBytes(digest(given.user), digest(Redacted.value(secrets.user)))
  const samePassword = sameBytes(digest(given.password), digest(Redacted.value(secrets.password)))
  if (!(sameUser && samePassword)) {
    return yield* new SignatureRejected({
      check: "wrong-credentials",
      message: "the Basic credentials in the Authorization header do not match the configured Postmark user and password",
      status: 403
    })
  }
})

/** One record per request; records of kinds we do not track decode to no events. */
export const decode = Effect.fnUntraced(function* (request: WebhookRequest, orgId: string) {
  const json = yield* parseJson(request.rawBody)
  return yield* normalize(json, orgId)
})

export const provider: Provider<Secrets> = { vendor, verify, decode }
