import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import { resolveOrg } from "../../src/domain/OrgMatch.js"

const org = fc.constantFrom("default", "acme", "globex", "initech")

describe("resolveOrg", () => {
  it("one other org's delivery makes the event that org's; the default org's own rows never count", () => {
    expect(resolveOrg("default", ["acme"])).toEqual({ _tag: "Matched", orgId: "acme" })
    expect(resolveOrg("default", ["default", "acme", "acme"])).toEqual({ _tag: "Matched", orgId: "acme" })
    expect(resolveOrg("default", ["default"])).toEqual({ _tag: "Unmatched", reason: "no-delivery", candidates: [] })
    expect(resolveOrg("default", [])).toEqual({ _tag: "Unmatched", reason: "no-delivery", candidates: [] })
  })

  it("two other orgs are ambiguous: none is chosen, both are named", () => {
    expect(resolveOrg("default", ["globex", "acme", "default"])).toEqual({ _tag: "Unmatched", reason: "ambiguous", candidates: ["acme", "globex"] })
  })

  it.prop("the outcome depends on the set of orgs, not their order or repeats, and never names the default org", [fc.array(org)], ([orgs]) => {
    const outcome = resolveOrg("default", orgs)
    expect(resolveOrg("default", [...orgs].reverse().concat(orgs))).toEqual(outcome)
    const others = new Set(orgs.filter((o) => o !== "default"))
    if (outcome._tag === "Matched") expect([outcome.orgId]).toEqual([...others])
    else expect(outcome.candidates).toEqual(others.size === 1 ? [] : [...others].sort())
    expect(outcome._tag === "Matched" ? outcome.orgId : outcome.candidates).not.toContain("default")
  })
})
