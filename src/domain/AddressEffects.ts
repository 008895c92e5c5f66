import { DateTime } from "effect"
import type { Channel } from "./Event.js"
import { eventKey } from "./Event.js"
import { hardBounceEffects } from "./Lifecycle.js"
import type { AddressEffect } from "./Projection.js"
import { contactKey, escalationReason } from "./Projection.js"
import type { Activity, AuditEntry, Suppression } from "./Records.js"
import { optOutEntry } from "./Records.js"
import type { Cause } from "./SoftBounceStreak.js"

/** The contact an address belongs to, with its other addresses (a complaint suppresses them all). */
export interface ContactAddresses {
  readonly id: string
  readonly email: string | null
  readonly phone: string | null
  readonly whatsapp: string | null
  readonly telegram: string | null
  readonly inApp: string | null
}

/** A suppression to write: '' is the whole channel's category (the table's key has no nulls). */
export type SuppressionWrite = Omit<Suppression, "category" | "createdAt"> & { readonly category: string }

/** An activity to write, keyed by its source so a replay writes it once; `occurredAt` in epoch ms. */
export type ActivityWrite = Omit<Activity, "id" | "contactId" | "deliveryId" | "occurredAt"> & {
  readonly contactId: string
  readonly deliveryId: number
  readonly sourceKey: string
  readonly occurredAt: number
}

export type AuditWrite = Omit<AuditEntry, "id" | "sourceKey" | "createdAt"> & { readonly sourceKey: string }

/** The rows a batch's address effects write, once the contacts are known. */
export interface AddressWrites {
  /** Each keeps its earliest cause (`metadata.occurredAt`, then `eventKey`), whatever order the causes came in. */
  readonly suppressions: ReadonlyArray<SuppressionWrite>
  /** Whole-channel suppressions whose recorded cause (`previous`) is no cause any more: the next one, or none. */
  readonly replacedSuppressions: ReadonlyArray<Pick<SuppressionWrite, "orgId" | "channel" | "address"> & {
    readonly previous: string
    readonly cause: SuppressionWrite | null
  }>
  readonly bounced: ReadonlyArray<{ readonly contactId: string; readonly channel: Channel; readonly bounced: boolean }>
  readonly optOuts: ReadonlyArray<{ readonly contactId: string; readonly entry: string }>
  /** Upserted on (org, source key, kind): an escalation's row moves when an earlier soft bounce arrives. */
  readonly activities: ReadonlyArray<ActivityWrite>
  readonly withdrawnActivities: ReadonlyArray<{ readonly orgId: string; readonly sourceKey: string; readonly kind: string }>
  readonly audits: ReadonlyArray<AuditWrite>
  readonly removals: ReadonlyArray<{ readonly broadcastId: string; readonly channel: Channel; readonly address: string; readonly reason: string }>
}

/** The contact's field holding each channel's address; push addresses are tokens, kept apart. */
export const addressField = { email: "email", sms: "phone", whatsapp: "whatsapp", telegram: "telegram", in_app: "inApp" } as const satisfies
  Record<Exclude<Channel, "push">, Exclude<keyof ContactAddresses, "id">>

const addressOn = (contact: ContactAddresses, channel: Channel): string | null =>
  channel === "push" ? null : contact[addressField[channel]]

/** The whole-channel suppression a cause makes. */
const causeRow = (orgId: string, channel: Channel, address: string, cause: Cause): SuppressionWrite => ({
  orgId, channel, address, category: "", reason: cause.reason, source: cause.source,
  metadata: { eventKey: cause.key, occurredAt: new Date(cause.at).toISOString(), deliveryId: cause.deliveryId, ...(cause.streak ? { streak: true } : {}) }
})

const escalationKey = (channel: Channel, address: string, run: string) => `soft-bounces:${channel}:${address}:${run}`

/** Turns effects into rows; `contacts` holds, by `contactKey`, the contact of every address with effects. */
export const resolve = (effects: ReadonlyArray<AddressEffect>, contacts: ReadonlyMap<string, ContactAddresses>): AddressWrites => {
  const writes = {
    suppressions: [] as Array<SuppressionWrite>, replacedSuppressions: [] as Array<AddressWrites["replacedSuppressions"][number]>,
    bounced: [] as Array<{ contactId: string; channel: Channel; bounced: boolean }>, optOuts: [] as Array<{ contactId: string; entry: string }>,
    activities: [] as Array<ActivityWrite>, withdrawnActivities: [] as Array<{ orgId: string; sourceKey: string; kind: string }>,
    audits: [] as Array<AuditWrite>, removals: [] as Array<{ broadcastId: string; channel: Channel; address: string; reason: string }>
  }
  for (const item of effects) {
    const contact = contacts.get(contactKey({ orgId: item.orgId, channel: item.channel, recipient: item.address }))
    if (contact === undefined) throw new Error(`no contact resolved for ${item.channel} address of org ${item.orgId}`)
    const { orgId, channel, address } = item
    switch (item._tag) {
      case "Escalated": {
        const { escalation } = item
        const reason = escalationReason(item.threshold)
        for (const effect of hardBounceEffects(channel, reason)) {
          if (effect._tag !== "RecordActivity") continue
          writes.activities.push({
            orgId, contactId: contact.id, deliveryId: escalation.deliveryId, kind: effect.kind, title: effect.title,
            reason, sourceKey: escalationKey(channel, address, escalation.run), occurredAt: escalation.at
          })
        }
        writes.suppressions.push(causeRow(orgId, channel, address, { ...escalation, reason: "bounce", source: "soft_bounces", streak: true }))
        break
      }
      case "Replaced":
        writes.replacedSuppressions.push({
          orgId, channel, address, previous: item.previous, cause: item.cause === null ? null : causeRow(orgId, channel, address, item.cause)
        })
        break
      case "Withdrawn":
        writes.withdrawnActivities.push({ orgId, sourceKey: escalationKey(channel, address, item.run), kind: "bounced" })
        break
      case "Bounced":
        if (channel !== "push") writes.bounced.push({ contactId: contact.id, channel, bounced: item.bounced })
        break
      case "Event": {
        const { event, effect, deliveryId, broadcastId } = item
        const source = eventKey(event)
        switch (effect._tag) {
          case "Suppress":
            for (const on of effect.channels) {
              const to = on === channel ? address : addressOn(contact, on)
              if (to === null) continue
              writes.suppressions.push({
                orgId, channel: on, address: to, category: effect.category ?? "", reason: effect.reason,
                source: `${event.provider}:${event.type}`, metadata: { eventKey: source, occurredAt: DateTime.formatIso(event.occurredAt), deliveryId }
              })
            }
            break
          case "MarkBounced":
            writes.bounced.push({ contactId: contact.id, channel: effect.channel, bounced: true })
            break
          case "OptOut":
            for (const on of effect.channels) writes.optOuts.push({ contactId: contact.id, entry: optOutEntry(on, effect.category) })
            break
          case "RecordActivity":
            writes.activities.push({
              orgId, contactId: contact.id, deliveryId, kind: effect.kind, title: effect.title, reason: effect.reason ?? null,
              sourceKey: source, occurredAt: event.occurredAt.epochMillis
            })
            break
          case "RemoveFromBroadcast":
            if (broadcastId !== null) writes.removals.push({ broadcastId, channel, address, reason: event.type })
            break
          case "Audit":
            writes.audits.push({
              orgId, actor: `provider:${event.provider}`, action: effect.action, subject: `${channel}:${address}`,
              details: {
                deliveryId, broadcastId, category: event.details.category ?? null,
                ip: event.details.ip ?? null, userAgent: event.details.userAgent ?? null
              },
              sourceKey: source
            })
            break
          case "CountForSender":
            break
        }
      }
    }
  }
  return writes
}
