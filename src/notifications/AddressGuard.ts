import { BlockList, isIP } from "node:net"
import { lookup } from "node:dns/promises"
import { Context, Data, Effect, Layer } from "effect"

/**
 * SSRF defence for notification targets: no loopback, private, link-local, unique-local, CGNAT or
 * cloud-metadata address is ever sent to unless NOTIFICATION_ALLOWED_HOSTS names the host or a range
 * holding the address. A literal IP is judged at registration; a name after DNS, at every send, and the
 * request then goes to the address that was checked (`Target.address`), never to a second lookup.
 */

/** Ranges no notification may reach by default (IANA special-purpose registries, RFC 6890). */
const refusedRanges: ReadonlyArray<readonly [string, number, "ipv4" | "ipv6", string]> = [
  ["0.0.0.0", 8, "ipv4", "'this network'"],
  ["10.0.0.0", 8, "ipv4", "private"],
  ["100.64.0.0", 10, "ipv4", "carrier-grade NAT"],
  ["127.0.0.0", 8, "ipv4", "loopback"],
  ["169.254.0.0", 16, "ipv4", "link-local (cloud metadata)"],
  ["172.16.0.0", 12, "ipv4", "private"],
  ["192.0.0.0", 24, "ipv4", "IETF protocol assignments"],
  ["192.168.0.0", 16, "ipv4", "private"],
  ["198.18.0.0", 15, "ipv4", "benchmarking"],
  ["224.0.0.0", 4, "ipv4", "multicast"],
  ["240.0.0.0", 4, "ipv4", "reserved"],
  ["::", 128, "ipv6", "unspecified"],
  ["::1", 128, "ipv6", "loopback"],
  ["64:ff9b::", 96, "ipv6", "NAT64"],
  ["100::", 64, "ipv6", "discard-only"],
  ["fc00::", 7, "ipv6", "unique-local (cloud metadata fd00:ec2::254)"],
  ["fe80::", 10, "ipv6", "link-local"],
  ["ff00::", 8, "ipv6", "multicast"]
]

const family = (address: string) => (isIP(address) === 6 ? "ipv6" as const : "ipv4" as const)

/** Why an address may not be a target by default, or undefined when it may (IPv4-mapped IPv6 judged as IPv4). */
export const refusedRange = (address: string): string | undefined =>
  refusedLists.find(([list]) => list.check(address, family(address)))?.[1]

const refusedLists = refusedRanges.map(([network, prefix, type, label]) => {
  const list = new BlockList()
  list.addSubnet(network, prefix, type)
  return [list, label] as const
})

/** NOTIFICATION_ALLOWED_HOSTS: host names (exact, any case) and addresses or CIDR ranges. */
export interface AllowList {
  readonly hosts: ReadonlySet<string>
  readonly ranges: BlockList
  readonly empty: boolean
}

export const parseAllowList = (entries: ReadonlyArray<string>): AllowList => {
  const hosts = new Set<string>()
  const ranges = new BlockList()
  for (const entry of entries.map((e) => e.trim().toLowerCase()).filter((e) => e !== "")) {
    const [network, prefix] = entry.split("/")
    const bare = network!.replace(/^\[|\]$/g, "")
    if (isIP(bare) !== 0) ranges.addSubnet(bare, prefix === undefined ? (isIP(bare) === 6 ? 128 : 32) : Number(prefix), family(bare))
    else hosts.add(entry)
  }
  return { hosts, ranges, empty: entries.every((e) => e.trim() === "") }
}

/** A problem with an entry of the list, for the configuration check at start. */
export const allowListProblem = (entry: string): string | undefined => {
  const [network, prefix, ...rest] = entry.trim().split("/")
  const bare = (network ?? "").replace(/^\[|\]$/g, "")
  if (prefix === undefined) return bare === "" ? "an empty entry" : undefined
  const max = isIP(bare) === 6 ? 128 : isIP(bare) === 4 ? 32 : -1
  if (max < 0 || rest.length > 0 || !/^\d{1,3}$/.test(prefix) || Number(prefix) > max) return `'${entry}' is not a host, an address or a CIDR range`
  return undefined
}

const allowed = (allow: AllowList, host: string, address: string) =>
  allow.hosts.has(host.toLowerCase()) || allow.ranges.check(address, family(address))

/** The URL's host as an address when it is a literal IP (brackets of IPv6 taken off), else undefined. */
export const literalAddress = (url: URL): string | undefined => {
  const host = url.hostname.replace(/^\[|\]$/g, "")
  return isIP(host) === 0 ? undefined : host
}

/** Registration: a literal address in a refused range, unless allowed; names are judged at send time. */
export const registrationProblem = (url: URL, allow: AllowList): string | undefined => {
  const address = literalAddress(url)
  if (address === undefined) return undefined
  const range = refusedRange(address)
  return range === undefined || allowed(allow, url.hostname, address)
    ? undefined
    : `${address} is a ${range} address; only public addresses are sent to, unless NOTIFICATION_ALLOWED_HOSTS allows it`
}

export class TargetRefused extends Data.TaggedError("TargetRefused")<{ readonly message: string }> {}

/** Where a request goes: the address checked, to connect to, with the URL's host kept for Host and TLS. */
export interface Target {
  readonly address: string
  readonly host: string
}

/** Resolves host names: the system's resolver, or a stub in tests (never a real name to the network). */
export class Resolver extends Context.Tag("Sendtrail/NotificationResolver")<Resolver, {
  readonly lookup: (host: string) => Effect.Effect<ReadonlyArray<string>, TargetRefused>
}>() {
  static readonly System = Layer.succeed(Resolver, {
    lookup: (host) =>
      Effect.tryPromise({
        try: () => lookup(host, { all: true, verbatim: true }).then((found) => found.map((a) => a.address)),
        catch: (error) => new TargetRefused({ message: `${host} does not resolve: ${error instanceof Error ? error.message : String(error)}` })
      })
  })
}

/**
 * Send time: every address of the host must be allowed (a name with one private address among public
 * ones is refused: the resolver of the moment could pick either); the first is the one connected to.
 */
export const resolveTarget = (url: URL, allow: AllowList) =>
  Effect.gen(function* () {
    const literal = literalAddress(url)
    const addresses = literal === undefined ? yield* Effect.flatMap(Resolver, (r) => r.lookup(url.hostname)) : [literal]
    if (addresses.length === 0) return yield* new TargetRefused({ message: `${url.hostname} has no address` })
    for (const address of addresses) {
      const range = refusedRange(address)
      if (range !== undefined && !allowed(allow, url.hostname, address)) {
        return yield* new TargetRefused({
          message: `${url.hostname} resolves to ${address}, a ${range} address; refused (NOTIFICATION_ALLOWED_HOSTS can allow it)`
        })
      }
    }
    return { address: addresses[0]!, host: url.hostname } satisfies Target
  })
