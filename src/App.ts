import { Layer } from "effect"
import { Broadcasts } from "./broadcasts/Broadcasts.js"
import { PushResults } from "./broadcasts/PushResults.js"
import { Registrations } from "./broadcasts/Registrations.js"
import { RetryLists } from "./broadcasts/RetryLists.js"
import { Inbox } from "./ingest/Inbox.js"
import { Pipeline } from "./ingest/Pipeline.js"
import { Receiver } from "./ingest/Receiver.js"
import type { VendorRequirements } from "./providers/Registry.js"
import { Providers } from "./providers/Registry.js"
import { SnsClient } from "./providers/SnsClient.js"
import { Replay } from "./ingest/Replay.js"
import { WebhookStats } from "./ingest/WebhookStats.js"
import { EventFeed } from "./metrics/EventFeed.js"
import { OpsMetrics } from "./metrics/OpsMetrics.js"
import { Dispatcher } from "./notifications/Dispatcher.js"
import { HealthWatch } from "./notifications/HealthWatch.js"
import { Messages } from "./notifications/Messages.js"
import { ActivityRepository } from "./storage/ActivityRepository.js"
import { BroadcastRepository } from "./storage/BroadcastRepository.js"
import { ConnectionRepository } from "./storage/ConnectionRepository.js"
import { TelegramBotRepository } from "./storage/TelegramBotRepository.js"
import { Sunset } from "./contacts/Sunset.js"
import { SunsetSchedule } from "./contacts/SunsetSchedule.js"
import { ContactRepository } from "./storage/ContactRepository.js"
import { DeadLetterRepository } from "./storage/DeadLetterRepository.js"
import { DeliveryRepository } from "./storage/DeliveryRepository.js"
import { InboxRepository } from "./storage/InboxRepository.js"
import { RegistrationEvents } from "./storage/RegistrationEvents.js"
import { RollupRepository } from "./storage/RollupRepository.js"
import { SenderAccountRepository } from "./storage/SenderAccountRepository.js"
import { SuppressionRepository } from "./storage/SuppressionRepository.js"
import { ProjectionStore } from "./storage/ProjectionStore.js"
import { UnmatchedEvents } from "./storage/UnmatchedEvents.js"
import { mailgunTokensSql } from "./storage/SeenNonces.js"
import * as Transactor from "./storage/Transactor.js"

/** Every repository over the one SqlClient. */
export const RepositoriesSql = Layer.mergeAll(
  DeliveryRepository.Default,
  ContactRepository.Default,
  SuppressionRepository.Default,
  ActivityRepository.Default,
  SenderAccountRepository.Default,
  RollupRepository.Default,
  BroadcastRepository.Default,
  InboxRepository.Default,
  DeadLetterRepository.Default,
  ConnectionRepository.Default,
  TelegramBotRepository.Default,
  RegistrationEvents.Default,
  UnmatchedEvents.Default,
  Transactor.Transactor.Default
)

/** What verifying providers' webhooks needs: the SNS certificate fetcher, Mailgun's seen tokens (in SQL). */
export const VendorServices = Layer.mergeAll(SnsClient.Default, mailgunTokensSql)

/**
 * Inbox, pipeline, receiver and replay over the SQL repositories, and the notifications' dispatcher;
 * tests may swap the vendors' network services.
 */
export const makeIngest = <E, R>(vendorServices: Layer.Layer<VendorRequirements, E, R>) =>
  Layer.mergeAll(Pipeline.Default, Replay.Default, Receiver.Default, Dispatcher.Default).pipe(
    Layer.provideMerge(Layer.mergeAll(ProjectionStore.Default, Inbox.Default, WebhookStats.Default, Providers.Default, Messages.Default, HealthWatch.Default)),
    Layer.provide(vendorServices),
    // Shared with the HTTP handlers: the live event feed and the in-process metrics.
    Layer.provideMerge(Layer.mergeAll(EventFeed.Default, OpsMetrics.Default))
  )

export const Ingest = makeIngest(VendorServices)

/** The send side of the org API (broadcasts, registration, push results, retry lists) and the daily sunsets, over ingest. */
export const BroadcastServices = Layer.mergeAll(
  Broadcasts.Default, Registrations.Default, PushResults.Default, RetryLists.Default, SunsetSchedule.Default.pipe(Layer.provideMerge(Sunset.Default))
)

/** Everything the HTTP handlers use, given repositories: ingest plus the send side. */
export const withBroadcasts = <E, R>(ingest: Layer.Layer<Layer.Layer.Success<typeof Ingest>, E, R>) =>
  BroadcastServices.pipe(Layer.provideMerge(ingest))
