import { DateTime, Effect, Layer, Option, Ref } from "effect"
import type { Connection } from "../ConnectionRepository.js"
import { ConnectionRepository } from "../ConnectionRepository.js"

export const layer = Layer.effect(
  ConnectionRepository,
  Effect.gen(function* () {
    const connections = yield* Ref.make<ReadonlyArray<Connection>>([])
    return ConnectionRepository.make({
      create: (connection) => Ref.update(connections, (all) => [...all, connection]),
      findById: (id) => Effect.map(Ref.get(connections), (all) => Option.fromNullable(all.find((c) => c.id === id))),
      list: (orgId) =>
        Effect.map(Ref.get(connections), (all) =>
          all.filter((c) => orgId === undefined || c.orgId === orgId)
            .toSorted((a, b) => DateTime.Order(a.createdAt, b.createdAt) || a.id.localeCompare(b.id)))
    })
  })
)
