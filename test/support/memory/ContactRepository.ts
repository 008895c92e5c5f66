import { DateTime, Effect, Layer, Option, Ref } from "effect"
import type { Channel } from "../../../src/domain/Event.js"
import { normalizeAddress } from "../../../src/domain/Event.js"
import type { ContactAddresses } from "../../../src/domain/AddressEffects.js"
import { addressField } from "../../../src/domain/AddressEffects.js"
import { contactKey } from "../../../src/domain/Projection.js"
import type { Contact } from "../../../src/domain/Records.js"
import type { EnsureContact } from "../../../src/storage/ContactRepository.js"
import { ContactRepository } from "../../../src/storage/ContactRepository.js"

type ContactCore = Omit<Contact, "pushTokens">

interface TokenRow {
  readonly orgId: string
  readonly token: string
  readonly contactId: string | null
  readonly provider: string
  readonly active: boolean
}

interface Tables {
  readonly contacts: ReadonlyMap<string, ContactCore>
  readonly tokens: ReadonlyArray<TokenRow>
  readonly attributes: ReadonlyMap<string, Record<string, unknown>>
}

const withTokens = (t: Tables, core: ContactCore): Contact => ({
  ...core,
  pushTokens: t.tokens
    .filter((row) => row.contactId === core.id)
    .map((row) => ({ token: row.token, provider: row.provider, active: row.active }))
})

const lookup = (t: Tables, orgId: string, channel: Channel, address: string): ContactCore | undefined => {
  const normalized = normalizeAddress(channel, address)
  if (channel === "push") {
    const contactId = t.tokens.find((row) => row.orgId === orgId && row.token === normalized)?.contactId
    return contactId == null ? undefined : t.contacts.get(contactId)
  }
  const field = addressField[channel]
  return [...t.contacts.values()].find((c) => c.orgId === orgId && c[field] === normalized)
}

/** The same interface over maps, for unit tests of the layers above; the contract suite keeps it true. */
export const layer = Layer.effect(
  ContactRepository,
  Effect.gen(function* () {
    const tables = yield* Ref.make<Tables>({ contacts: new Map(), tokens: [], attributes: new Map() })
    const find = (f: (t: Tables) => ContactCore | undefined) =>
      Effect.map(Ref.get(tables), (t) => Option.map(Option.fromNullable(f(t)), (c) => withTokens(t, c)))
    const updateContact = (id: string, f: (contact: ContactCore, now: DateTime.Utc) => ContactCore | undefined) =>
      Effect.flatMap(DateTime.now, (now) =>
        Ref.update(tables, (t) => {
          const current = t.contacts.get(id)
          const next = current === undefined ? undefined : f(current, now)
          return next === undefined ? t : { ...t, contacts: new Map(t.contacts).set(id, next) }
        }))

  const ensure = (input: EnsureContact) =>
      Effect.flatMap(DateTime.now, (now) =>
        Ref.modify(tables, (t) => {
          const byId = input.contactId === null ? undefined : t.contacts.get(input.contactId)
          const existing = byId?.orgId === input.orgId ? byId : lookup(t, input.orgId, input.channel, input.address)
          if (existing !== undefined) return [withTokens(t, existing), t]
          const address = normalizeAddress(input.channel, input.address)
          const contact: ContactCore = {
            id: crypto.randomUUID(),
            orgId: input.orgId,
            email: input.channel === "email" ? address : null,
            phone: input.channel === "sms" ? address : null,
            whatsapp: input.channel === "whatsapp" ? address : null,
            telegram: input.channel === "telegram" ? address : null,
            inApp: input.channel === "in_app" ? address : null,
            bouncedChannels: [],
            optedOut: [],
            createdAt: now,
            updatedAt: now
          }
          const sameToken = (row: TokenRow) => row.orgId === input.orgId && row.token === address
          const tokens = input.channel !== "push"
            ? t.tokens
            : t.tokens.some(sameToken)
            ? t.tokens.map((row) => sameToken(row) ? { ...row, contactId: contact.id } : row)
            : [...t.tokens, { orgId: input.orgId, token: address, contactId: contact.id, provider: "unknown", active: true }]
          const next = { ...t, contacts: new Map(t.contacts).set(contact.id, contact), tokens }
          return [withTokens(next, contact), next]
        }))

    return ContactRepository.make({
      findById: (id) => find((t) => t.contacts.get(id)),
      findByAddress: (orgId, channel, address) => find((t) => lookup(t, orgId, channel, address)),
      ensure,
      ensureMany: (wanted) =>
        Effect.reduce(wanted, new Map<string, ContactAddresses>(), (found, a) =>
          Effect.map(ensure({ orgId: a.orgId, channel: a.channel, address: a.address, contactId: a.contactHint }), (c) =>
            found.set(contactKey({ orgId: a.orgId, channel: a.channel, recipient: a.address }), c))),
      findByAddresses: (orgId, lookup) =>
        Effect.map(Ref.get(tables), (t) => {
          const wanted = {
            email: new Set(lookup.email.map((a) => normalizeAddress("email", a))),
            phone: new Set(lookup.phone.map((a) => normalizeAddress("sms", a))),
            whatsapp: new Set(lookup.whatsapp.map((a) => normalizeAddress("whatsapp", a)))
          }
          const has = (set: ReadonlySet<string>, address: string | null) => address !== null && set.has(address)
          return [...t.contacts.values()]
            .filter((c) => c.orgId === orgId && (has(wanted.email, c.email) || has(wanted.phone, c.phone) || has(wanted.whatsapp, c.whatsapp)))
            .map((c) => ({ id: c.id, email: c.email, phone: c.phone, whatsapp: c.whatsapp, telegram: c.telegram, inApp: c.inApp }))
        }),
      createMany: (orgId, contacts) =>
        Effect.flatMap(DateTime.now, (now) =>
          Ref.modify(tables, (t) => {
            const rows = new Map(t.contacts)
            const attributes = new Map(t.attributes)
            const columns = ["email", "phone", "whatsapp"] as const
            const taken = new Set([...rows.values()].filter((c) => c.orgId === orgId).flatMap((c) =>
              columns.flatMap((k) => c[k] === null ? [] : [`${k}:${c[k]}`])))
            const ids = contacts.map((input): string | null => {
              const address = (column: "email" | "phone" | "whatsapp", channel: Channel) => {
                const value = input[column]
                return value === null ? null : normalizeAddress(channel, value)
              }
              const contact: ContactCore = {
                id: crypto.randomUUID(),
                orgId,
                email: address("email", "email"),
                phone: address("phone", "sms"),
                whatsapp: address("whatsapp", "whatsapp"),
                telegram: null,
                inApp: null,
                bouncedChannels: [],
                optedOut: [],
                createdAt: now,
                updatedAt: now
              }
              const keys = columns.flatMap((k) => contact[k] === null ? [] : [`${k}:${contact[k]}`])
              if (keys.some((key) => taken.has(key))) return null
              for (const key of keys) taken.add(key)
              rows.set(contact.id, contact)
              attributes.set(contact.id, input.attributes)
              return contact.id
            })
            return [ids, { ...t, contacts: rows, attributes }]
          })),
      attributesOf: (id) =>
        Effect.map(Ref.get(tables), (t) =>
          t.contacts.has(id) ? Option.some(t.attributes.get(id) ?? {}) : Option.none()),
      markBounced: (contactId, channel) =>
        updateContact(contactId, (c, now) =>
          c.bouncedChannels.includes(channel)
            ? undefined
            : { ...c, bouncedChannels: [...c.bouncedChannels, channel], updatedAt: now }),
      optOut: (contactId, entries) =>
        updateContact(contactId, (c, now) => {
          const added = [...new Set(entries)].filter((entry) => !c.optedOut.includes(entry))
          return added.length === 0 ? undefined : { ...c, optedOut: [...c.optedOut, ...added], updatedAt: now }
        }),
      deactivatePushToken: (orgId, token, _reason) =>
        Ref.update(tables, (t) => {
          const normalized = normalizeAddress("push", token)
          const matches = (row: TokenRow) => row.orgId === orgId && row.token === normalized
          return { ...t, tokens: t.tokens.map((row) => matches(row) ? { ...row, active: false } : row) }
        })
    })
  })
)
