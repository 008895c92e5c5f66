import { describe, expect, it } from "@effect/vitest"
import { clickRefusedPage, confirmPage, escapeHtml, invalidLinkPage, maskAddress, securityPage, unsubscribedPage } from "../../src/tracking/Pages.js"
import { elements, visibleText } from "../support/trackingHtml.js"

const ada = { channel: "email" as const, address: "ada@example.com", category: "marketing" as const, listName: "Spring <sale> & \"news\"" }

describe("the pages a recipient sees", () => {
  it("the confirmation page names the masked address and the list, with one button that posts back to the same URL", () => {
    const html = confirmPage(ada)
    expect(visibleText(html)).toBe("Unsubscribe Stop sending marketing email to a•••@example.com? List: Spring <sale> & \"news\" Unsubscribe")
    expect(elements(html, "form")).toEqual([{ method: "post" }])
    expect(elements(html, "button")).toEqual([{ type: "submit" }])
    expect(elements(html, "html")).toEqual([{ lang: "en" }])
  })

  it("the done page says what stops; without a category it is the whole channel", () => {
    expect(visibleText(unsubscribedPage(ada))).toBe("You are unsubscribed a•••@example.com will no longer receive marketing email from this sender. List: Spring <sale> & \"news\"")
    expect(visibleText(unsubscribedPage({ channel: "sms", address: "+1 555 123 4567", category: undefined, listName: undefined })))
      .toBe("You are unsubscribed •••4567 will no longer receive all text messages from this sender.")
  })

  it("security mail cannot be unsubscribed from, and the page says nothing changed", () => {
    expect(visibleText(securityPage({ ...ada, category: "security" }))).toMatch(/always sent to a•••@example\.com: they cannot be turned off, and nothing was changed\.$/)
    expect(elements(securityPage(ada), "form")).toEqual([])
  })

  it("every interpolated value is escaped, and no page loads anything from elsewhere", () => {
    const html = confirmPage({ ...ada, address: "<script>alert(1)</script>@evil.example" })
    expect(html).not.toContain("<script>")
    expect(html).not.toContain("<sale>")
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;")
    for (const page of [confirmPage(ada), unsubscribedPage(ada), invalidLinkPage(), clickRefusedPage("the link has no token")]) {
      expect(elements(page, "script")).toEqual([])
      expect(elements(page, "link")).toEqual([])
      expect(elements(page, "img")).toEqual([])
    }
  })

  it("addresses are masked: first letter and domain of an email, last four digits of a number, never a push token", () => {
    expect(maskAddress("email", "ada@example.com")).toBe("a•••@example.com")
    expect(maskAddress("email", "weird")).toBe("•••")
    expect(maskAddress("whatsapp", "+44 7700 900123")).toBe("•••0123")
    expect(maskAddress("push", "fcm-token-abc")).toBe("this device")
  })

  it("the refused-link and invalid-link pages say so in plain words", () => {
    expect(visibleText(clickRefusedPage("the destination is not the one this link was made for")))
      .toBe("This link cannot be followed The destination is not the one this link was made for.")
    expect(visibleText(invalidLinkPage())).toMatch(/^This link is no longer valid /)
  })
})
