import { Effect, Ref } from "effect"

/** Webhooks received and refused, by vendor and reason, for /metrics and the logs. */
export class WebhookStats extends Effect.Service<WebhookStats>()("Sendtrail/WebhookStats", {
  effect: Effect.gen(function* () {
    const counts = yield* Ref.make<ReadonlyMap<string, number>>(new Map())
    const bump = (key: string) => Ref.update(counts, (map) => new Map(map).set(key, (map.get(key) ?? 0) + 1))
    return {
      accepted: (vendor: string) => bump(`${vendor}|accepted`),
      rejected: (vendor: string, reason: string) =>
        Effect.zipRight(bump(`${vendor}|${reason}`), Effect.logWarning(`webhook rejected: vendor=${vendor} reason=${reason}`)),
      /** `vendor|outcome` → count, where outcome is "accepted" or the reason a request was refused. */
      snapshot: Ref.get(counts)
    } as const
  })
}) {}
