import { Effect } from "effect"

/** Webhooks received and refused, by vendor and reason, for /metrics and the logs. */
export class WebhookStats extends Effect.Service<WebhookStats>()("Sendtrail/WebhookStats", {
  effect: Effect.gen(function* () {
    // Counted on every webhook: one map, updated in place (a copy per request showed in the profile).
    const counts = new Map<string, number>()
    const bump = (key: string) => Effect.sync(() => void counts.set(key, (counts.get(key) ?? 0) + 1))
    return {
      accepted: (vendor: string) => bump(`${vendor}|accepted`),
      rejected: (vendor: string, reason: string) =>
        Effect.zipRight(bump(`${vendor}|${reason}`), Effect.logWarning(`webhook rejected: vendor=${vendor} reason=${reason}`)),
      /** `vendor|outcome` → count, where outcome is "accepted" or the reason a request was refused. */
      snapshot: Effect.sync((): ReadonlyMap<string, number> => new Map(counts))
    } as const
  })
}) {}
