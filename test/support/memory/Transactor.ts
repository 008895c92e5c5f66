import { Layer } from "effect"
import { Transactor } from "../../../src/storage/Transactor.js"

/** In memory the work runs as it is: callers serialize per key, and nothing there can half-fail. */
export const inMemory = Layer.succeed(Transactor, Transactor.make({ transaction: (work) => work }))
