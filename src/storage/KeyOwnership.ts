import type { SqlClient } from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * Who may decide a contact key right now. Several instances drain one inbox; a key's state (its
 * deliveries, timeline, contact) must be read and written by one of them at a time. Keys hash into
 * buckets, and a batch holds its buckets' transaction-scoped advisory locks, taken in bucket order so
 * two batches never wait on each other in a cycle. Moving ownership onto cluster sharding later
 * replaces this module only.
 */

/** Few enough that a batch's locks fit PostgreSQL's shared lock table beside several instances. */
export const buckets = 64
/** The first key of the two-key advisory locks, so no other advisory lock user collides with these. */
const lockClass = 0x53_54

/** FNV-1a: stable across processes and versions, which the bucket of a key must be. */
export const bucketOf = (key: string): number => {
  let hash = 0x811c9dc5
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193)
  return (hash >>> 0) % buckets
}

/** Holds the keys' buckets until the transaction ends; waits while another instance holds one. */
export const own = (sql: SqlClient, keys: Iterable<string>) => {
  const owned = [...new Set([...keys].map(bucketOf))].sort((a, b) => a - b)
  return owned.length === 0
    ? Effect.void
    : Effect.asVoid(sql`SELECT pg_advisory_xact_lock(${lockClass}, b) FROM unnest(${owned}::int[]) WITH ORDINALITY AS t(b, n) ORDER BY n`)
}
