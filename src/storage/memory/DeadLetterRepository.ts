import { Effect, Layer, Option, Ref } from "effect"
import type { DeadLetter } from "../../domain/Ingest.js"
import { rawBodyFields } from "../../domain/Ingest.js"
import { DeadLetterRepository } from "../DeadLetterRepository.js"

export const layer = Layer.effect(
  DeadLetterRepository,
  Effect.gen(function* () {
    const letters = yield* Ref.make<ReadonlyArray<DeadLetter>>([])
    return DeadLetterRepository.make({
      add: (input) =>
        Ref.modify(letters, (all) => {
          const letter: DeadLetter = {
            id: all.length + 1,
            orgId: input.orgId,
            provider: input.provider,
            inboxId: input.inboxId,
            stage: input.stage,
            error: input.error,
            ...rawBodyFields(input.rawBody),
            headers: input.headers,
            url: input.url,
            event: input.event ?? null,
            createdAt: input.at,
            replayedAt: null
          }
          return [letter.id, [...all, letter]]
        }),
      list: (options) =>
        Effect.map(Ref.get(letters), (all) =>
          all.filter((l) => options.includeReplayed || l.replayedAt === null).toReversed().slice(0, options.limit)),
      findById: (id) => Effect.map(Ref.get(letters), (all) => Option.fromNullable(all.find((l) => l.id === id))),
      markReplayed: (id, at) =>
        Ref.modify(letters, (all) => {
          const letter = all.find((l) => l.id === id)
          if (letter === undefined || letter.replayedAt !== null) return [false, all]
          return [true, all.map((l) => (l.id === id ? { ...l, replayedAt: at } : l))]
        })
    })
  })
)
