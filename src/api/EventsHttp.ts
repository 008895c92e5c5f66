import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Duration, Effect, Schema, Stream } from "effect"
import { NormalizedEvent } from "../domain/Event.js"
import { EventFeed } from "../metrics/EventFeed.js"
import { Api } from "./Api.js"
import { CurrentOrg } from "./OrgAuth.js"

export const heartbeatInterval = Duration.seconds(15)

const encodeEvent = Schema.encodeSync(NormalizedEvent)
const encoder = new TextEncoder()

/** One SSE message per event: `event: <type>` and its JSON (one line) in `data:`. */
const message = (event: NormalizedEvent) => `event: ${event.type}\ndata: ${JSON.stringify(encodeEvent(event))}\n\n`

export const EventsLive = HttpApiBuilder.group(Api, "events", (handlers) =>
  Effect.gen(function* () {
    const feed = yield* EventFeed
    return handlers.handle("eventStream", () =>
      Effect.map(CurrentOrg, ({ orgId }) => {
        // Subscribed when the body starts streaming, unsubscribed when the client goes away; the first
        // comment tells the client it is subscribed. A dropped (too slow) subscriber's stream ends.
        const events = Stream.unwrapScoped(Effect.map(feed.subscribe(orgId), (queue) =>
          Stream.concat(Stream.make(": subscribed\n\n"), Stream.map(Stream.fromQueue(queue), message))))
        const heartbeats = Stream.map(Stream.tick(heartbeatInterval), () => ": heartbeat\n\n").pipe(Stream.drop(1))
        const body = Stream.merge(events, heartbeats, { haltStrategy: "left" }).pipe(Stream.map((text) => encoder.encode(text)))
        return HttpServerResponse.stream(body, {
          contentType: "text/event-stream",
          headers: { "cache-control": "no-cache", "x-accel-buffering": "no" }
        })
      }))
  }))
