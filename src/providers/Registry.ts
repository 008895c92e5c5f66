import { Config, Context, Effect, Option, Redacted, Schema } from "effect"
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

export type Verifier = (request: WebhookRequest) => Effect.Effect<void, SignatureRejected>

/** A provider with its secrets' type hidden and its services bound: nothing is needed per request. */
export interface Vendor {
  readonly vendor: string
  /** Checks a connection's secrets before they are stored: 400 naming the field. */
  readonly checkSecrets: (json: unknown) => Effect.Effect<Readonly<Record<string, unknown>>, PayloadRejected>
  /** Verifies with the default org's secrets, read from the environment once, at start. */
  readonly fromEnvironment: Verifier
  readonly fromConnection: (connectionId: string, json: unknown) => Verifier
  readonly decode: (request: WebhookRequest, orgId: string) => Effect.Effect<ReadonlyArray<NormalizedEvent>, PayloadRejected>
  readonly control: Verifier
  readonly notStored: (request: WebhookRequest) => Effect.Effect<void>
}

/** A provider module's parts; `Providers` binds them at start to the environment's secrets and the services they need. */
const define = <S extends Readonly<Record<string, unknown>>, I, R>({ Secrets, envSecrets, provider }: {
  readonly Secrets: Schema.Schema<S, I>
  readonly envSecrets: Config.Config<Option.Option<S>>
  readonly provider: Provider<S, R>
}) => (services: Context.Context<R>) =>
  Effect.map(envSecrets, (fromEnv): Vendor => {
    const { vendor, control, notStored } = provider
    const decodeSecrets = decodeFirst(Secrets)
    const encodeSecrets = Schema.encodeSync(Secrets)
    const verifyWith = (secrets: S | undefined): Verifier => (request) => Effect.provide(provider.verify(secrets, request), services)
    return {
      vendor,
      checkSecrets: (json) => Effect.map(decodeSecrets(json), (secrets) => ({ ...(encodeSecrets(secrets) as object) })),
      fromEnvironment: verifyWith(Option.getOrUndefined(fromEnv)),
      fromConnection: (connectionId, json) => {
        const secrets = Schema.decodeUnknownOption(Secrets)(json)
        return Option.isSome(secrets)
          ? verifyWith(secrets.value)
          : () => Effect.fail(new SignatureRejected({ check: "missing-secret", message: `connection ${connectionId} has no usable ${vendor} secrets` }))
      },
      decode: provider.decode,
      control: control === undefined ? () => Effect.void : (request) => Effect.provide(control(request), services),
      notStored: notStored === undefined ? () => Effect.void : (request) => Effect.provide(notStored(request), services)
    }
  })

const GenericSecrets = Schema.Struct({ secret: Schema.NonEmptyString })

/** Every provider that has a webhook route, by the name in its URL. */
const definitions = {
  /** Sendtrail's own format as a provider: the secret is the HMAC key. */
  generic: define({
    Secrets: GenericSecrets,
    envSecrets: Config.option(Config.map(Config.redacted("GENERIC_WEBHOOK_SECRET"), (secret) => ({ secret: Redacted.value(secret) }))),
    provider: {
      vendor: Generic.provider,
      verify: (secrets: typeof GenericSecrets.Type | undefined, request: WebhookRequest) =>
        Generic.verify(secrets === undefined ? undefined : Redacted.make(secrets.secret), request.headers["x-webhook-signature"], request.rawBody),
      decode: (request: WebhookRequest, orgId: string) => Generic.decode(request.rawBody, orgId)
    }
  }),
  sendgrid: define(SendGrid),
  mailgun: define(Mailgun),
  resend: define(Resend),
  postmark: define(Postmark),
  twilio: define(Twilio),
  ses: define({ ...Ses, provider: { ...Ses.provider, control: (request: WebhookRequest) => Effect.asVoid(Ses.subscription(request)) } })
}

export type VendorName = keyof typeof definitions
export const vendorNames = Object.keys(definitions) as ReadonlyArray<VendorName>

/** What verifying any provider's webhooks needs (SNS certificates, Mailgun's seen tokens, …). */
export type VendorRequirements = ServicesOf<(typeof definitions)[VendorName]>
type ServicesOf<Bind> = Bind extends (services: Context.Context<infer R>) => unknown ? R : never

/** The providers, built once at start: each vendor's environment secrets read and its services bound. */
export class Providers extends Effect.Service<Providers>()("Sendtrail/Providers", {
  effect: Effect.gen(function* () {
    const services = yield* Effect.context<VendorRequirements>()
    const byName = new Map<string, Vendor>()
    for (const name of vendorNames) byName.set(name, yield* definitions[name](services))
    return {
      get: (name: VendorName): Vendor => byName.get(name)!,
      find: (name: string): Option.Option<Vendor> => Option.fromNullable(byName.get(name))
    }
  })
}) {}
