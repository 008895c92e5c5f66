import { Effect, Tracer } from "effect"

/** How many spans of each name ended, and their summed duration: statements (`sql.execute`) and phases. */
export interface SpanTally {
  readonly count: Map<string, number>
  readonly nanos: Map<string, bigint>
}

export const makeSpanTally = (): SpanTally => ({ count: new Map(), nanos: new Map() })

/** Runs `effect` with the runtime's own tracer, every span's end also counted into `tally`. */
export const withSpanTally = (tally: SpanTally) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.flatMap(Effect.tracer, (native) =>
    Effect.withTracer(effect, Tracer.make({
      span: (name, parent, context, links, startTime, kind, options) => {
        const span = native.span(name, parent, context, links, startTime, kind, options)
        const end = span.end.bind(span)
        const attribute = span.attribute.bind(span)
        let statement: string | undefined
        // A statement is also tallied under its first words, to see which one the time goes to.
        span.attribute = (key, value) => {
          if (key === "db.query.text") statement = `sql: ${String(value).replace(/\s+/g, " ").trim().slice(0, 70)}`
          attribute(key, value)
        }
        span.end = (endTime, exit) => {
          for (const key of statement === undefined ? [name] : [name, statement]) {
            tally.count.set(key, (tally.count.get(key) ?? 0) + 1)
            tally.nanos.set(key, (tally.nanos.get(key) ?? 0n) + (endTime - startTime))
          }
          end(endTime, exit)
        }
        return span
      },
      context: native.context
    })))
