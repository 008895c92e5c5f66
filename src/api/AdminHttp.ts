import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as SqlClient from "@effect/sql/SqlClient"
import { DateTime, Effect, Layer, Option, Redacted } from "effect"
import { createHash, timingSafeEqual } from "node:crypto"
import { AppConfig } from "../AppConfig.js"
import { Replay } from "../ingest/Replay.js"
import * as Outbox from "../notifications/Outbox.js"
import { Providers, vendorNames } from "../providers/Registry.js"
import type { Connection } from "../storage/ConnectionRepository.js"
import { ConnectionRepository, newConnectionId } from "../storage/ConnectionRepository.js"
import { DeadLetterRepository } from "../storage/DeadLetterRepository.js"
import { InboxRepository } from "../storage/InboxRepository.js"
import { SenderAccountRepository } from "../storage/SenderAccountRepository.js"
import { UnmatchedEvents } from "../storage/UnmatchedEvents.js"
import { AdminAuth } from "./Admin.js"
import { Api } from "./Api.js"

const digest = (value: string) => createHash("sha256").update(value).digest()

export const AdminAuthLive = Layer.effect(
  AdminAuth,
  Effect.map(AppConfig, (config) =>
    AdminAuth.of({
      bearer: (token) =>
        Option.match(config.adminApiKey, {
          onNone: () => Effect.fail({ error: "Unauthorized" as const, message: "ADMIN_API_KEY is not configured: admin routes are closed" }),
          // Hashing first gives equal lengths, so the comparison takes the same time whatever the token.
          onSome: (key) =>
            timingSafeEqual(digest(Redacted.value(token)), digest(Redacted.value(key)))
              ? Effect.void
              : Effect.fail({ error: "Unauthorized" as const, message: "Authorization must be 'Bearer <ADMIN_API_KEY>'" })
        })
    }))
)

type ReplayOutcome = { readonly id: number; readonly stage: "decode" | "apply"; readonly requeued: number }
type ReplayError = { readonly error: "NotFound" | "Conflict" | "Unprocessable"; readonly message: string }

const refusalStatus = { "not-found": "NotFound", "already-replayed": "Conflict", "still-invalid": "Unprocessable" } as const

const notFound = (message: string) => Effect.fail({ error: "NotFound" as const, message })

/** Ids arrive as path text; anything that is not a positive integer names no dead letter. */
const parseId = (text: string) => (/^[1-9][0-9]{0,15}$/.test(text) ? Option.some(Number(text)) : Option.none())

export const AdminLive = HttpApiBuilder.group(Api, "admin", (handlers) =>
  Effect.gen(function* () {
    const deadLetters = yield* DeadLetterRepository
    const senders = yield* SenderAccountRepository
    const sql = yield* SqlClient.SqlClient
    const replay = yield* Replay
    const inboxRows = yield* InboxRepository
    const connections = yield* ConnectionRepository
    const providers = yield* Providers
    const unmatched = yield* UnmatchedEvents
    const view = (c: Connection) => ({
      id: c.id, orgId: c.orgId, vendor: c.vendor, createdAt: c.createdAt,
      secrets: Object.fromEntries(Object.keys(c.secrets).map((name) => [name, "[redacted]" as const]))
    })
    return handlers
      .handle("createConnection", ({ payload }) =>
        Effect.gen(function* () {
          const vendor = providers.find(payload.vendor)
          if (Option.isNone(vendor)) {
            return yield* Effect.fail({ error: "BadRequest" as const, message: `vendor: expected one of ${vendorNames.join(", ")}, got ${JSON.stringify(payload.vendor)}` })
          }
          const secrets = yield* vendor.value.checkSecrets(payload.secrets).pipe(
            Effect.mapError((e) => ({ error: "BadRequest" as const, message: `secrets.${e.message}` }))
          )
          const connection = { id: newConnectionId(), orgId: payload.orgId, vendor: payload.vendor, secrets, createdAt: yield* DateTime.now }
          yield* connections.create(connection)
          return view(connection)
        }))
      .handle("connections", ({ urlParams }) => Effect.map(connections.list(urlParams.orgId), (items) => ({ items: items.map(view) })))
      .handle("deadLetters", ({ urlParams }) =>
        Effect.map(deadLetters.list(urlParams), (items) => ({ items })))
      .handle("replayDeadLetter", ({ path }) =>
        Option.match(parseId(path.id), {
          onNone: () => notFound(`no dead letter '${path.id}'`),
          onSome: (id): Effect.Effect<ReplayOutcome, ReplayError> =>
            replay.replay(id).pipe(
              Effect.mapError((refused) => ({ error: refusalStatus[refused.reason], message: refused.message }))
            )
        }))
      .handle("inbox", () =>
        Effect.map(Effect.zip(inboxRows.backlog(), DateTime.now), ([backlog, now]) => ({
          pending: backlog.pending,
          oldestPendingAgeSeconds: backlog.oldest === null ? null : Math.max(0, (now.epochMillis - backlog.oldest.getTime()) / 1000)
        })))
      .handle("unmatched", ({ urlParams: { cursor, limit, ...filter } }) =>
        filter.from !== undefined && filter.to !== undefined && DateTime.lessThan(filter.to, filter.from)
          ? Effect.fail({ error: "BadRequest" as const, message: "to: must not be before from" })
          : unmatched.page({ provider: filter.provider, reason: filter.reason, from: filter.from, to: filter.to }, cursor, limit).pipe(
            Effect.catchTag("InvalidCursor", (e) => Effect.fail({ error: "BadRequest" as const, message: e.message }))
          ))
      .handle("senderAccounts", ({ urlParams }) => Effect.map(senders.list(urlParams.orgId), (items) => ({ items })))
      .handle("unflagSenderAccount", ({ path }) =>
        Effect.gen(function* () {
          const at = yield* DateTime.now
          const before = yield* senders.findById(path.id)
          const after = yield* senders.unflag(path.id, at)
          // sender.unflagged in the same transaction (the outbox), when this call lifted a flag.
          if (Option.isSome(before) && before.value.flaggedAt !== null && Option.isSome(after)) {
            yield* Outbox.enqueueAll(sql, [Outbox.fromSender({ ...after.value, flaggedReason: before.value.flaggedReason }, "sender.unflagged", at)])
          }
          return after
        }).pipe(
          sql.withTransaction,
          Effect.orDie,
          Effect.flatMap(Option.match({ onNone: () => notFound(`no sender account '${path.id}'`), onSome: Effect.succeed }))
        ))
  }))
