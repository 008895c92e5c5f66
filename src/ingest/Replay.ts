import { Data, DateTime, Effect, Option } from "effect"
import { Providers } from "../providers/Registry.js"
import { DeadLetterRepository } from "../storage/DeadLetterRepository.js"
import { InboxRepository } from "../storage/InboxRepository.js"
import { Inbox } from "./Inbox.js"

export class ReplayRefused extends Data.TaggedError("ReplayRefused")<{
  readonly reason: "not-found" | "already-replayed" | "still-invalid"
  readonly message: string
}> {}

/**
 * Re-drives one dead letter. An event that kept failing goes back into the inbox with its attempts
 * reset; a body that did not decode is decoded again (its signature was verified on arrival) and,
 * if it decodes now, appended like a new delivery of it. Each letter is replayed once.
 */
export class Replay extends Effect.Service<Replay>()("Sendtrail/Replay", {
  effect: Effect.gen(function* () {
    const deadLetters = yield* DeadLetterRepository
    const inboxRows = yield* InboxRepository
    const inbox = yield* Inbox
    const providers = yield* Providers

    const replay = Effect.fn("Replay.replay")(function* (id: number) {
      const found = yield* deadLetters.findById(id)
      if (Option.isNone(found)) return yield* new ReplayRefused({ reason: "not-found", message: `no dead letter ${id}` })
      const letter = found.value
      if (letter.replayedAt !== null) {
        return yield* new ReplayRefused({ reason: "already-replayed", message: `dead letter ${id} was replayed at ${DateTime.formatIso(letter.replayedAt)}` })
      }
      const at = yield* DateTime.now
      let requeued = 0
      if (letter.stage === "apply" && letter.inboxId !== null) {
        requeued = (yield* inboxRows.requeue(letter.inboxId, at)) ? 1 : 0
        yield* inbox.wake
      } else {
        const vendor = providers.find(letter.provider)
        if (Option.isNone(vendor) || letter.rawBodyBase64 === null) {
          return yield* new ReplayRefused({ reason: "still-invalid", message: `no decoder for provider ${letter.provider}` })
        }
        const request = {
          rawBody: Buffer.from(letter.rawBodyBase64, "base64"),
          headers: letter.headers ?? {},
          url: letter.url ?? "",
          receivedAt: letter.createdAt
        }
        const events = yield* vendor.value.decode(request, letter.orgId).pipe(
          Effect.mapError((e) => new ReplayRefused({ reason: "still-invalid", message: `still does not decode: ${e.message}` }))
        )
        requeued = (yield* Effect.orDie(inbox.append(events))).accepted
      }
      if (!(yield* deadLetters.markReplayed(id, at))) {
        return yield* new ReplayRefused({ reason: "already-replayed", message: `dead letter ${id} was replayed meanwhile` })
      }
      return { id, stage: letter.stage, requeued }
    })

    return { replay } as const
  })
}) {}
