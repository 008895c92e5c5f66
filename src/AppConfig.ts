import { Config, ConfigError, Effect, Either, LogLevel, Option, Redacted } from "effect"

const port = Config.integer("PORT").pipe(
  Config.withDefault(8080),
  Config.validate({ message: "a TCP port between 1 and 65535", validation: (n) => n >= 1 && n <= 65535 })
)

const logLevel = Config.logLevel("LOG_LEVEL").pipe(Config.withDefault(LogLevel.Info))

const url = (name: string) =>
  Config.string(name).pipe(
    Config.mapOrFail((value) =>
      URL.canParse(value)
        ? Either.right(value.replace(/\/+$/, ""))
        : Either.left(ConfigError.InvalidData([name], `Expected ${name} to be an absolute URL such as https://track.example.com, got "${value}"`))
    )
  )

const databaseUrl = Config.redacted("DATABASE_URL").pipe(
  Config.validate({
    message: "a PostgreSQL URL such as postgres://user@host:5432/db",
    validation: (value) => /^postgres(ql)?:\/\//.test(Redacted.value(value))
  }),
  Config.option
)

/** Everything the service reads from its environment; each value is checked before start-up. */
export class AppConfig extends Effect.Service<AppConfig>()("Sendtrail/AppConfig", {
  effect: Effect.gen(function* () {
    const listenPort = yield* port
    const publicBaseUrl = yield* url("PUBLIC_BASE_URL").pipe(Config.option)
    return {
      port: listenPort,
      dataDir: yield* Config.string("DATA_DIR").pipe(Config.withDefault("./data")),
      databaseUrl: yield* databaseUrl,
      logLevel: yield* logLevel,
      publicBaseUrl: Option.getOrElse(publicBaseUrl, () => `http://localhost:${listenPort}`),
      defaultOrgId: yield* Config.nonEmptyString("DEFAULT_ORG_ID").pipe(Config.withDefault("default"))
    }
  })
}) {}
