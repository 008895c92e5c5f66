import { Data, DateTime, Option } from "effect"
import type { Category, Channel, NormalizedEvent } from "./Event.js"
import { channelLabel, channels, eventKey } from "./Event.js"
import type { Delivery, DeliveryStatus, Milestones } from "./Delivery.js"
import { negativeStatuses, statusRank } from "./Delivery.js"
import { isPolicyRejection } from "./Machine.js"
import type { SenderMetric, SuppressionReason } from "./Records.js"

/** What the lifecycle needs of a delivery row; `seen` holds the event keys already applied to it. */
export type LifecycleState = Pick<Delivery, "status" | "milestones" | "errorReason" | "decidedAt" | "decidedBy"> & {
  readonly seen: ReadonlySet<string>
}

/** Side effects an event implies, as data: the pipeline carries them out in the same transaction. */
export type SideEffect = Data.TaggedEnum<{
  Suppress: { readonly channels: ReadonlyArray<Channel>; readonly reason: SuppressionReason; readonly category: Category | undefined }
  MarkBounced: { readonly channel: Channel }
  OptOut: { readonly channels: ReadonlyArray<Channel>; readonly category: Category | undefined }
  RecordActivity: { readonly kind: string; readonly title: string; readonly reason: string | undefined }
  CountForSender: { readonly metric: SenderMetric }
  RemoveFromBroadcast: {}
  Audit: { readonly action: string }
}>
export const SideEffect = Data.taggedEnum<SideEffect>()

export interface Applied {
  readonly state: LifecycleState
  /** False when the event was already applied: nothing changed and there is nothing to do. */
  readonly applied: boolean
  /** Milestones this event reached first for the delivery (unique counts hang off these). */
  readonly firstSeen: ReadonlyArray<DeliveryStatus>
  readonly effects: ReadonlyArray<SideEffect>
}

/** A row registered at send time: its status is a milestone reached at `at`. */
export const initialState = (status: DeliveryStatus, at: DateTime.Utc): LifecycleState => ({
  status,
  milestones: { [status]: at },
  errorReason: null,
  decidedAt: null,
  decidedBy: null,
  seen: new Set()
})

/** The milestone an event reaches; soft bounces and deferrals are recorded without one. */
export const milestoneOf = (event: NormalizedEvent): Option.Option<DeliveryStatus> => {
  switch (event.type) {
    case "queued":
    case "sending":
      return Option.some("queued")
    case "soft_bounced":
    case "deferred":
      return Option.none()
    case "bounced":
      return event.details.bounceKind === "soft" ? Option.none() : Option.some("bounced")
    default:
      return Option.some(event.type)
  }
}


// Twilio error codes: https://www.twilio.com/docs/api/errors (21610 = recipient replied STOP,
// 63014 = WhatsApp user blocked the business; the invalid set are unknown, invalid, landline or
// non-mobile numbers, PROVIDERS.md 6.5: 30003 is transient and 30004 a block, neither is the number).
const optOutCodes = new Set(["21610", "63014"])
const invalidNumberCodes = new Set(["30005", "30006", "21211", "21614", "21635"])
// 30007 "Message filtered" (Twilio's error page; "Carrier Violation" before): the carrier or Twilio
// refused the content or the sender, not the number, and the recipient never opted out.
const filteredCodes = new Set(["30007"])

const effectsOf = (event: Pick<NormalizedEvent, "type" | "details" | "channel">): ReadonlyArray<SideEffect> => {
  const { channel, details } = event
  const category = details.category
  switch (event.type) {
    case "bounced":
      if (details.bounceKind === "soft") return []
      // The receiving server refused the sender, not the address: count it against the sender
      // account (the milestone does that) but keep the recipient reachable.
      if (isPolicyRejection(details.enhancedStatus)) {
        return [SideEffect.RecordActivity({ kind: "blocked", title: `${channelLabel[channel]} blocked by the receiver's policy`, reason: details.reason ?? details.enhancedStatus })]
      }
      return hardBounceEffects(channel, details.reason)
    case "complained":
      return [
        SideEffect.OptOut({ channels, category: undefined }),
        SideEffect.Suppress({ channels, reason: "complaint", category: undefined }),
        SideEffect.RecordActivity({ kind: "complained", title: "Spam complaint", reason: details.reason })
      ]
    case "unsubscribed":
      // Security mail (password resets, sign-in codes) must always reach the recipient.
      if (category === "security") return []
      return [
        SideEffect.OptOut({ channels: [channel], category }),
        SideEffect.Suppress({ channels: [channel], reason: "unsubscribe", category }),
        SideEffect.RemoveFromBroadcast(),
        SideEffect.RecordActivity({ kind: "unsubscribed", title: `Unsubscribed from ${channelLabel[channel]}`, reason: category }),
        SideEffect.Audit({ action: "contact.unsubscribed" })
      ]
    case "failed": {
      const code = details.errorCode
      if (code === undefined) return []
      if (optOutCodes.has(code)) {
        return [
          SideEffect.OptOut({ channels: [channel], category: undefined }),
          SideEffect.Suppress({ channels: [channel], reason: "unsubscribe", category: undefined }),
          SideEffect.RecordActivity({ kind: "opted_out", title: `Opted out of ${channelLabel[channel]}`, reason: `error ${code}` })
        ]
      }
      // A number that cannot receive is a hard bounce of the phone channel: marked bounced and suppressed.
      if (invalidNumberCodes.has(code)) {
        return [
          ...(channel === "push" ? [] : [SideEffect.MarkBounced({ channel })]),
          SideEffect.Suppress({ channels: [channel], reason: "invalid", category: undefined }),
          SideEffect.RecordActivity({ kind: "invalid", title: `${channelLabel[channel]} number invalid`, reason: `error ${code}` })
        ]
      }
      // Counted against the sender account as a refusal of the sender (like an email policy rejection);
      // the number stays reachable and the recipient subscribed.
      if (filteredCodes.has(code)) {
        return [
          SideEffect.CountForSender({ metric: "bounced" }),
          SideEffect.RecordActivity({ kind: "blocked", title: `${channelLabel[channel]} filtered by the carrier`, reason: details.reason ?? `error ${code}` })
        ]
      }
      return []
    }
    default:
      return []
  }
}

/** The effects of a hard bounce, also used when soft bounces in a row escalate to one. */
export const hardBounceEffects = (channel: Channel, reason: string | undefined): ReadonlyArray<SideEffect> => [
  // A dead push token is one device, not the contact's push channel: the token alone is deactivated.
  ...(channel === "push" ? [] : [SideEffect.MarkBounced({ channel })]),
  SideEffect.Suppress({ channels: [channel], reason: "bounce", category: undefined }),
  SideEffect.RecordActivity({ kind: "bounced", title: `${channelLabel[channel]} bounced`, reason })
]

/** Why an event suppresses its own address on its whole channel, if it does (a hard bounce, a complaint, …). */
export const suppressionCause = (event: Pick<NormalizedEvent, "type" | "details" | "channel">): SuppressionReason | undefined => {
  for (const effect of effectsOf(event)) {
    if (effect._tag === "Suppress" && effect.category === undefined && effect.channels.includes(event.channel)) return effect.reason
  }
  return undefined
}

export const isSoftBounce = (event: Pick<NormalizedEvent, "type" | "details">): boolean =>
  event.type === "soft_bounced" || (event.type === "bounced" && event.details.bounceKind === "soft")

/** Milestones that prove the message left for the recipient: the first of them counts one send. */
const outbound: ReadonlySet<DeliveryStatus> = new Set(["sent", "delivered", "opened", "clicked", "bounced", "complained"])
const countedMilestones: ReadonlySet<DeliveryStatus> = new Set(["delivered", "bounced", "complained"])

const senderCounts = (before: Milestones, reached: DeliveryStatus): ReadonlyArray<SideEffect> => {
  const counts: Array<SideEffect> = []
  const hadOutbound = Object.keys(before).some((m) => outbound.has(m as DeliveryStatus))
  if (outbound.has(reached) && !hadOutbound) counts.push(SideEffect.CountForSender({ metric: "sent" }))
  if (countedMilestones.has(reached)) counts.push(SideEffect.CountForSender({ metric: reached as SenderMetric }))
  return counts
}

const isEarlier = (at: DateTime.Utc, key: string, thanAt: DateTime.Utc | null, thanKey: string | null) =>
  thanAt === null || DateTime.lessThan(at, thanAt) || (DateTime.Equivalence(at, thanAt) && key < (thanKey ?? ""))

/**
 * Applies one event. The result depends only on the set of events applied, never on their order:
 * status is the highest milestone, each milestone keeps its earliest time, and ties at the top rank
 * are decided by the earliest event (then its key), which also supplies `errorReason`.
 */
export const apply = (state: LifecycleState, event: NormalizedEvent): Applied => {
  const key = eventKey(event)
  if (state.seen.has(key)) return { state, applied: false, firstSeen: [], effects: [] }
  const seen = new Set(state.seen).add(key)
  const effects = effectsOf(event)
  const reached = milestoneOf(event)
  if (Option.isNone(reached)) {
    return { state: { ...state, seen }, applied: true, firstSeen: [], effects }
  }
  const milestone = reached.value
  const previous = state.milestones[milestone]
  const firstSeen = previous === undefined
  const milestones = previous === undefined || DateTime.lessThan(event.occurredAt, previous)
    ? { ...state.milestones, [milestone]: event.occurredAt }
    : state.milestones
  const rank = statusRank(milestone)
  const current = statusRank(state.status)
  const decides = rank > current ||
    (rank === current && isEarlier(event.occurredAt, key, state.decidedAt, state.decidedBy))
  const decided = decides
    ? {
      status: milestone,
      decidedAt: event.occurredAt,
      decidedBy: key,
      errorReason: negativeStatuses.has(milestone) ? event.details.reason ?? event.details.errorCode ?? null : null
    }
    : {}
  return {
    state: { ...state, ...decided, milestones, seen },
    applied: true,
    firstSeen: firstSeen ? [milestone] : [],
    effects: firstSeen ? [...effects, ...senderCounts(state.milestones, milestone)] : effects
  }
}
