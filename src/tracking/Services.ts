import { Layer } from "effect"
import { Engagement } from "./Engagement.js"
import { Recorder } from "./Recorder.js"
import { Renderer } from "./Renderer.js"
import { TrackingTokens } from "./Tokens.js"
import { Unsubscribes } from "./Unsubscribes.js"

/**
 * Tracking's services, over the inbox, webhook stats, the repositories and the config. One value, so
 * every place that provides it shares one instance (layers are memoized by reference).
 */
export const TrackingServices = Layer.mergeAll(Engagement.Default, Unsubscribes.Default, Renderer.Default).pipe(
  Layer.provideMerge(Recorder.Default),
  Layer.provideMerge(TrackingTokens.Default)
)
