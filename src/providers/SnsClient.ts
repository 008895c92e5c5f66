import { Cache, Config, ConfigError, Data, Duration, Effect, Either, Exit, Layer } from "effect"

/** The certificate or confirmation URL was refused, or fetching it failed. */
export class SnsFetchError extends Data.TaggedError("SnsFetchError")<{
  readonly url: string
  readonly reason: "url-not-allowed" | "unreachable" | "bad-response"
  readonly message: string
}> {}

/**
 * The regional SNS endpoint over https and a `.pem` path. AWS's JS and PHP validators use the same
 * host rule (PROVIDERS.md 3.2): anything looser would admit S3 buckets on amazonaws.com.
 */
export const defaultCertificateUrlPattern = String.raw`https://sns\.[a-z0-9-]{3,}\.amazonaws\.com(?:\.cn)?/[A-Za-z0-9._/-]+\.pem`

/** `SNS_CERT_URL_PATTERN`: a regular expression the whole certificate URL must match. */
export const certificateUrlPattern: Config.Config<RegExp> = Config.string("SNS_CERT_URL_PATTERN").pipe(
  Config.withDefault(defaultCertificateUrlPattern),
  Config.mapOrFail((source) => {
    try {
      return Either.right(new RegExp(`^(?:${source})$`))
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      return Either.left(ConfigError.InvalidData(["SNS_CERT_URL_PATTERN"], `not a regular expression: ${reason}`))
    }
  })
)

const snsHost = /^sns\.[a-z0-9-]{3,}\.amazonaws\.com(?:\.cn)?$/

const parsed = (url: string): URL | undefined => {
  try {
    return new URL(url)
  } catch {
    return undefined
  }
}

const plainHttps = (url: URL | undefined): url is URL =>
  url !== undefined && url.protocol === "https:" && url.username === "" && url.password === ""

const refused = (url: string, message: string) => Effect.fail(new SnsFetchError({ url, reason: "url-not-allowed", message }))

/** Certificates are fetched over https only, from a URL the whole of which matches the pattern. */
export const allowedCertificateUrl = (pattern: RegExp, url: string): Effect.Effect<void, SnsFetchError> =>
  plainHttps(parsed(url)) && pattern.test(url)
    ? Effect.void
    : refused(url, `SigningCertURL ${url} is not an https URL matching SNS_CERT_URL_PATTERN (${pattern.source})`)

/** A SubscribeURL is only visited on `https://sns.<region>.amazonaws.com[.cn]/`, never anywhere a body names. */
export const isSubscribeUrl = (url: string): boolean => {
  const target = parsed(url)
  return plainHttps(target) && target.port === "" && snsHost.test(target.hostname)
}

const allowedSubscribeUrl = (url: string): Effect.Effect<void, SnsFetchError> =>
  isSubscribeUrl(url) ? Effect.void : refused(url, `SubscribeURL ${url} is not on an https sns.<region>.amazonaws.com host`)

export const fetchTimeout = Duration.seconds(10)
const maxCertificateBytes = 64 * 1024
const certificateCacheSize = 100
const pemCertificate = /^\s*-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\s*$/

const get = (url: string) =>
  Effect.tryPromise({
    try: async (signal) => {
      const response = await fetch(url, { signal, redirect: "error", headers: { accept: "*/*" } })
      return { status: response.status, text: await response.text() }
    },
    catch: (error) =>
      new SnsFetchError({ url, reason: "unreachable", message: `GET ${url} failed: ${error instanceof Error ? error.message : String(error)}` })
  }).pipe(
    Effect.timeoutFail({
      duration: fetchTimeout,
      onTimeout: () => new SnsFetchError({ url, reason: "unreachable", message: `GET ${url} timed out after ${Duration.format(fetchTimeout)}` })
    }),
    Effect.filterOrFail(
      (response) => response.status === 200,
      (response) => new SnsFetchError({ url, reason: "bad-response", message: `GET ${url} answered ${response.status}` })
    )
  )

const downloadCertificate = (url: string) =>
  get(url).pipe(
    Effect.filterOrFail(
      (response) => response.text.length <= maxCertificateBytes && pemCertificate.test(response.text),
      () => new SnsFetchError({ url, reason: "bad-response", message: `${url} did not serve a PEM certificate` })
    ),
    Effect.map((response) => response.text)
  )

/** The network SNS verification needs: signing certificates (cached by URL) and subscription confirmation. */
export class SnsClient extends Effect.Service<SnsClient>()("Sendtrail/SnsClient", {
  effect: Effect.gen(function* () {
    const pattern = yield* certificateUrlPattern
    const certificates = yield* Cache.makeWith({
      capacity: certificateCacheSize,
      lookup: downloadCertificate,
      timeToLive: (exit) => (Exit.isSuccess(exit) ? Duration.hours(24) : Duration.zero)
    })
    return {
      certificate: Effect.fn("SnsClient.certificate")(function* (url: string) {
        yield* allowedCertificateUrl(pattern, url)
        return yield* certificates.get(url)
      }),
      confirm: Effect.fn("SnsClient.confirm")(function* (subscribeUrl: string) {
        yield* allowedSubscribeUrl(subscribeUrl)
        yield* get(subscribeUrl)
      })
    }
  })
}) {}

/** Serves the given PEMs (certificates or public keys) by URL without any network; the URL checks stay (an invalid pattern dies). */
export const testLayer = (certificates: Readonly<Record<string, string>>, onConfirm?: (url: string) => void) =>
  Layer.effect(
    SnsClient,
    Effect.map(certificateUrlPattern, (pattern) =>
      SnsClient.make({
        certificate: (url: string) =>
          Effect.zipRight(
            allowedCertificateUrl(pattern, url),
            Effect.suspend(() => {
              const pem = Object.hasOwn(certificates, url) ? certificates[url] : undefined
              return pem === undefined
                ? Effect.fail(new SnsFetchError({ url, reason: "unreachable", message: `no test certificate is served at ${url}` }))
                : Effect.succeed(pem)
            })
          ),
        confirm: (subscribeUrl: string) => Effect.zipRight(allowedSubscribeUrl(subscribeUrl), Effect.sync(() => onConfirm?.(subscribeUrl)))
      }))
  ).pipe(Layer.orDie)
