import { Config, ConfigError, Effect, Either, LogLevel, Option, Redacted } from "effect"
import { allowListProblem, parseAllowList } from "./notifications/AddressGuard.js"

/** A variable whose value must pass `isValid`; the error names it and what was expected. */
const checked = <A>(config: Config.Config<A>, expected: string, isValid: (value: A) => boolean, show: (value: A) => string) =>
  config.pipe(
    Config.mapOrFail((value) =>
      isValid(value) ? Either.right(value) : Either.left(ConfigError.InvalidData([], `Expected ${expected}, got ${show(value)}`))
    )
  )

const port = checked(Config.integer("PORT"), "a TCP port between 1 and 65535", (n) => n >= 1 && n <= 65535, String).pipe(
  Config.withDefault(8080)
)

const publicBaseUrl = checked(
  Config.string("PUBLIC_BASE_URL"),
  "an absolute http(s) URL such as https://track.example.com",
  (value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol),
  (value) => JSON.stringify(value)
).pipe(Config.map((value) => value.replace(/\/+$/, "")), Config.option)

const databaseUrl = checked(
  Config.string("DATABASE_URL"),
  "a PostgreSQL URL such as postgres://user@host:5432/db",
  (value) => /^postgres(ql)?:\/\/./.test(value),
  () => "a value of another form (not shown: it may hold a password)"
).pipe(Config.map(Redacted.make), Config.option)

const logLevel = checked(
  Config.string("LOG_LEVEL"),
  `one of ${LogLevel.allLevels.map((l) => l.label.toLowerCase()).join(", ")}`,
  (value) => parseLogLevel(value) !== undefined,
  (value) => JSON.stringify(value)
).pipe(Config.map((value) => parseLogLevel(value) ?? LogLevel.Info), Config.withDefault(LogLevel.Info))

/** Accepts the label or the name of a level, in any case: "warn", "WARN", "Warning". */
const parseLogLevel = (value: string): LogLevel.LogLevel | undefined =>
  LogLevel.allLevels.find((level) => [level.label, level._tag].some((name) => name.toLowerCase() === value.toLowerCase()))

const fraction = (name: string, fallback: number) =>
  checked(Config.number(name), "a fraction between 0 and 1 (0.03 is 3%)", (n) => n >= 0 && n <= 1, String).pipe(
    Config.withDefault(fallback)
  )

const positiveInteger = (name: string, fallback: number) =>
  checked(Config.integer(name), "a positive integer", (n) => n > 0, String).pipe(Config.withDefault(fallback))

/** Several comma-separated keys rotate tracking tokens: the first signs, every one verifies. */
const trackingSecrets = Config.redacted("TRACKING_SECRET").pipe(
  Config.map((secret) => Redacted.value(secret).split(",").map((key) => key.trim()).filter((key) => key !== "").map(Redacted.make)),
  Config.option,
  Config.map(Option.getOrElse((): ReadonlyArray<Redacted.Redacted<string>> => []))
)

/** NOTIFICATION_ALLOWED_HOSTS: comma-separated hosts, addresses or CIDR ranges notifications may reach though private. */
const notificationAllowedHosts = Config.string("NOTIFICATION_ALLOWED_HOSTS").pipe(
  Config.withDefault(""),
  Config.map((value) => value.split(",").map((entry) => entry.trim()).filter((entry) => entry !== "")),
  Config.mapOrFail((entries) => {
    const problem = entries.map(allowListProblem).find((p) => p !== undefined)
    return problem === undefined ? Either.right(entries) : Either.left(ConfigError.InvalidData([], `Expected hosts, addresses or CIDR ranges: ${problem}`))
  })
)

/** Outbound notifications: how they are sent, retried, and when an endpoint is given up on. */
const notifications = Config.all({
  allowList: Config.map(notificationAllowedHosts, parseAllowList),
  timeoutMs: positiveInteger("NOTIFICATION_TIMEOUT_MS", 10_000),
  retryBaseMs: positiveInteger("NOTIFICATION_RETRY_BASE_MS", 5_000),
  retryWindowSeconds: positiveInteger("NOTIFICATION_RETRY_WINDOW_SECONDS", 86_400),
  concurrencyPerEndpoint: positiveInteger("NOTIFICATION_CONCURRENCY_PER_ENDPOINT", 4),
  disableAfterFailures: positiveInteger("NOTIFICATION_DISABLE_AFTER_FAILURES", 20),
  disableAfterSeconds: checked(Config.integer("NOTIFICATION_DISABLE_AFTER_SECONDS"), "a whole number of seconds, 0 or more", (n) => n >= 0, String)
    .pipe(Config.withDefault(86_400)),
  healthCheckSeconds: positiveInteger("NOTIFICATION_HEALTH_CHECK_SECONDS", 60)
})

/** Everything the service reads from its environment; each value is checked before start-up. */
export class AppConfig extends Effect.Service<AppConfig>()("Sendtrail/AppConfig", {
  effect: Effect.gen(function* () {
    const listenPort = yield* port
    return {
      port: listenPort,
      dataDir: yield* Config.nonEmptyString("DATA_DIR").pipe(Config.withDefault("./data")),
      databaseUrl: yield* databaseUrl,
      /** Connections this instance may hold; several instances share one server's max_connections. */
      databasePoolSize: yield* positiveInteger("DATABASE_POOL_SIZE", 20),
      /** Running as root, the embedded PostgreSQL server runs as this unprivileged user. */
      embeddedPostgresUser: yield* Config.nonEmptyString("EMBEDDED_POSTGRES_USER").pipe(Config.withDefault("postgres")),
      logLevel: yield* logLevel,
      publicBaseUrl: Option.getOrElse(yield* publicBaseUrl, () => `http://localhost:${listenPort}`),
      defaultOrgId: yield* Config.nonEmptyString("DEFAULT_ORG_ID").pipe(Config.withDefault("default")),
      adminApiKey: yield* Config.redacted("ADMIN_API_KEY").pipe(Config.option),
      /** A read-only token for Prometheus scrapes of /metrics (the admin key works too). */
      metricsToken: yield* Config.redacted("METRICS_TOKEN").pipe(Config.option),
      senderPolicy: {
        maxBounceRate: yield* fraction("SENDER_MAX_BOUNCE_RATE", 0.03),
        maxComplaintRate: yield* fraction("SENDER_MAX_COMPLAINT_RATE", 0.001),
        minimumSample: yield* positiveInteger("SENDER_MIN_SAMPLE", 100)
      },
      jwtSecret: yield* Config.redacted("JWT_SECRET").pipe(Config.option),
      jwtPublicKey: yield* Config.redacted("JWT_PUBLIC_KEY").pipe(Config.option),
      trackingSecrets: yield* trackingSecrets,
      trackingTokenTtlDays: yield* positiveInteger("TRACKING_TOKEN_TTL_DAYS", 180),
      unsubscribeOnGet: yield* Config.boolean("UNSUBSCRIBE_ON_GET").pipe(Config.withDefault(false)),
      softBounceEscalation: yield* positiveInteger("SOFT_BOUNCE_ESCALATION", 3),
      inboxMaxBacklog: yield* positiveInteger("INBOX_MAX_BACKLOG", 200_000),
      pipelineEnabled: yield* Config.boolean("PIPELINE_ENABLED").pipe(Config.withDefault(true)),
      pipelineMaxAttempts: yield* positiveInteger("PIPELINE_MAX_ATTEMPTS", 5),
      pipelineWorkers: yield* positiveInteger("PIPELINE_WORKERS", 2),
      webhookMaxBodyBytes: yield* positiveInteger("WEBHOOK_MAX_BODY_BYTES", 5 * 1024 * 1024),
      notifications: yield* notifications
    }
  })
}) {}
