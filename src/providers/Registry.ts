import type { ConfigError } from "effect"
import { Config, Effect, Option, Redacted, Schema } from "effect"
import type { NormalizedEvent } from "../domain/Event.js"
import * as Generic from "./Generic.js"
import * as Mailgun from "./Mailgun.js"
import * as Postmark from "./Postmark.js"
import * as Resend from "./Resend.js"
import * as SendGrid from "./SendGrid.js"
import * as Ses from "./Ses.js"
import * as Twilio from "./Twilio.js"
import type { Provider, WebhookRequest } from "./Webhook.js"
import { decodeFirst, PayloadRejected, SignatureRejected } from "./Webhook.js"

export type Verifier<R> = (request: WebhookRequest) => Effect.Effect<void, SignatureRejected, R>

/**
 * A provider as the HTTP layer sees it, its secrets' type hidden behind closures: verifiers for the
 * default org (from the environment, read once at start) and for a stored connection's secrets.
 */
export interface Vendor<R> {
  readonly vendor: string
  /** Checks a connection's secrets before they are stored: 400 naming the field. */
  readonly checkSecrets: (json: unknown) => Effect.Effect<Readonly<Record<string, unknown>>, PayloadRejected>
  readonly fromEnvironment: Effect.Effect<Verifier<R>, ConfigError.ConfigError>
  readonly fromConnection: (connectionId: string, json: unknown) => Verifier<R>
  readonly decode: (request: WebhookRequest, orgId: string) => Effect.Effect<ReadonlyArray<NormalizedEvent>, PayloadRejected>
  readonly control: (request: WebhookRequest) => Effect.Effect<void, SignatureRejected, R>
  readonly notStored: (request: WebhookRequest) => Effect.Effect<void, never, R>
}

export const vendorOf = <S extends Readonly<Record<string, unknown>>, I, R>(definition: {
  readonly Secrets: Schema.Schema<S, I>
  readonly envSecrets: Config.Config<Option.Option<S>>
  readonly provider: Provider<S, R>
}): Vendor<R> => {
  const { provider } = definition
  const decodeSecrets = decodeFirst(definition.Secrets)
  const encodeSecrets = Schema.encodeSync(definition.Secrets)
  return {
    vendor: provider.vendor,
    checkSecrets: (json) => Effect.map(decodeSecrets(json), (secrets) => ({ ...(encodeSecrets(secrets) as object) })),
    fromEnvironment: Effect.map(definition.envSecrets, (secrets) => (request: WebhookRequest) =>
      provider.verify(Option.getOrUndefined(secrets), request)),
    fromConnection: (connectionId, json) => {
      const secrets = Schema.decodeUnknownOption(definition.Secrets)(json)
      return (request) =>
        Option.isSome(secrets)
          ? provider.verify(secrets.value, request)
          : Effect.fail(new SignatureRejected({ check: "missing-secret", message: `connection ${connectionId} has no usable ${provider.vendor} secrets` }))
    },
    decode: provider.decode,
    control: provider.control ?? (() => Effect.void),
    notStored: provider.notStored ?? (() => Effect.void)
  }
}

const GenericSecrets = Schema.Struct({ secret: Schema.NonEmptyString })

/** Sendtrail's own format as a provider: the secret is the HMAC key. */
export const generic = vendorOf({
  Secrets: GenericSecrets,
  envSecrets: Config.option(Config.map(Config.redacted("GENERIC_WEBHOOK_SECRET"), (secret) => ({ secret: Redacted.value(secret) }))),
  provider: {
    vendor: Generic.provider,
    verify: (secrets: typeof GenericSecrets.Type | undefined, request: WebhookRequest) =>
      Generic.verify(secrets === undefined ? undefined : Redacted.make(secrets.secret), request.headers["x-webhook-signature"], request.rawBody),
    decode: (request: WebhookRequest, orgId: string) => Generic.decode(request.rawBody, orgId)
  }
})

/** Every provider that has a webhook route, by the name in its URL. */
export const vendors = {
  generic,
  sendgrid: vendorOf(SendGrid),
  mailgun: vendorOf(Mailgun),
  resend: vendorOf(Resend),
  postmark: vendorOf(Postmark),
  twilio: vendorOf(Twilio),
  ses: vendorOf({ ...Ses, provider: { ...Ses.provider, control: (request: WebhookRequest) => Effect.asVoid(Ses.subscription(request)) } })
} as const

/** What verifying any provider's webhooks needs (SNS certificates, Mailgun's seen tokens, …). */
export type VendorRequirements = (typeof vendors)[keyof typeof vendors] extends Vendor<infer R> ? R : never

export const findVendor = (name: string): Option.Option<Vendor<VendorRequirements>> =>
  Option.fromNullable(Object.values(vendors).find((v) => v.vendor === name))
