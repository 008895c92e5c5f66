import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, FastCheck as fc } from "effect"
import { allowListProblem, parseAllowList, refusedRange, registrationProblem, Resolver, resolveTarget, TargetRefused } from "../../src/notifications/AddressGuard.js"

const none = parseAllowList([])
const octet = fc.integer({ min: 0, max: 255 })
const resolving = (addresses: ReadonlyArray<string>) => ({ lookup: () => Effect.succeed(addresses) })
const target = (url: string, allow = none, addresses: ReadonlyArray<string> = []) =>
  Effect.runSync(Effect.either(Effect.provideService(resolveTarget(new URL(url), allow), Resolver, resolving(addresses))))

describe("the SSRF guard of notification targets", () => {
  it.prop("every IPv4 address in a private, loopback, link-local or CGNAT range is refused, written plainly or IPv4-mapped", [
    fc.constantFrom([10, 8], [127, 8], [169, 254], [192, 168], [172, 16], [100, 64]), octet, octet, octet
  ], ([[first, second], a, b, c]) => {
    const address = first === 10 || first === 127 ? `${first}.${a}.${b}.${c}` : first === 172 ? `172.${16 + (a % 16)}.${b}.${c}` : first === 100 ? `100.${64 + (a % 64)}.${b}.${c}` : `${first}.${second}.${b}.${c}`
    expect(refusedRange(address)).toBeDefined()
    expect(refusedRange(`::ffff:${address}`)).toBeDefined()
    expect(registrationProblem(new URL(`http://${address}/x`), none)).toMatch(/ address; only public addresses are sent to/)
  })

  it("metadata and IPv6 local addresses are refused; public ones are not", () => {
    expect(refusedRange("169.254.169.254")).toMatch(/link-local/)
    expect(refusedRange("fd00:ec2::254")).toMatch(/unique-local/)
    expect(refusedRange("::1")).toBe("loopback")
    expect(refusedRange("fe80::1")).toBe("link-local")
    for (const address of ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "1.1.1.1"]) expect(refusedRange(address)).toBeUndefined()
  })

  it("the allow-list admits a host by name, an address, or a CIDR range, and nothing beside it", () => {
    const allow = parseAllowList(["127.0.0.1", "10.1.0.0/16", "Hooks.Internal"])
    expect(registrationProblem(new URL("http://127.0.0.1:9/"), allow)).toBeUndefined()
    expect(registrationProblem(new URL("http://127.0.0.2:9/"), allow)).toMatch(/^127\.0\.0\.2 is a loopback address/)
    expect(registrationProblem(new URL("http://10.1.200.3/"), allow)).toBeUndefined()
    expect(registrationProblem(new URL("http://10.2.0.1/"), allow)).toMatch(/private/)
    expect(Either.isRight(target("http://hooks.internal/x", allow, ["192.168.0.9"]))).toBe(true)
    expect(target("http://other.internal/x", allow, ["192.168.0.9"])).toEqual(Either.left(new TargetRefused({
      message: "other.internal resolves to 192.168.0.9, a private address; refused (NOTIFICATION_ALLOWED_HOSTS can allow it)"
    })))
    expect(allowListProblem("10.0.0.0/33")).toMatch(/not a host, an address or a CIDR range/)
    expect(allowListProblem("example.com/8")).toMatch(/not a host/)
    expect(allowListProblem("hooks.example.com")).toBeUndefined()
  })

  it("a name with any refused address among public ones is refused; a public name is connected to by the first address checked", () => {
    expect(Either.isLeft(target("https://mixed.example/x", none, ["93.184.216.34", "127.0.0.1"]))).toBe(true)
    expect(target("https://public.example/x", none, ["93.184.216.34", "93.184.216.35"])).toEqual(Either.right({ address: "93.184.216.34", host: "public.example" }))
    expect(Either.isLeft(target("https://nowhere.example/x", none, []))).toBe(true)
  })
})
