import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import type { Browser, Page } from "playwright-core"
import { chromium } from "playwright-core"
import { freshDatabaseUrl } from "../support/databases.js"
import type { Seeded } from "../support/dashboard.js"
import { adminKey, api, chromiumArgs, chromiumPath, hostileReason, hostileRecipient, org, orgToken, recipientOf, screenshotDir, seed, serviceEnvironment, webhook } from "../support/dashboard.js"
import type { RunningService } from "../support/service.js"
import { startService, tempDataDir } from "../support/service.js"
import { unique } from "../support/signing.js"
import { drained } from "../support/webhooks.js"

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8")

const AxeResults = Schema.Struct({
  passes: Schema.Array(Schema.Unknown),
  violations: Schema.Array(Schema.Struct({ id: Schema.String, impact: Schema.NullishOr(Schema.String), help: Schema.String, nodes: Schema.Array(Schema.Struct({ target: Schema.Array(Schema.Unknown) })) }))
})

const Summary = Schema.Struct({ counters: Schema.Record({ key: Schema.String, value: Schema.Number }) })
const ReportPage = Schema.Struct({ items: Schema.Array(Schema.Struct({ recipient: Schema.String, status: Schema.String })), nextCursor: Schema.NullOr(Schema.String) })
const Inbox = Schema.Struct({ pending: Schema.Number })
const SenderAccounts = Schema.Struct({ items: Schema.Array(Schema.Struct({ id: Schema.String, flaggedAt: Schema.NullOr(Schema.String), flaggedReason: Schema.NullOr(Schema.String) })) })

const executablePath = chromiumPath()

/** What a page did wrong on its own: console errors (CSP refusals among them), uncaught errors, dialogs (an alert() is script injection). */
interface Watched {
  readonly page: Page
  readonly problems: Array<string>
  readonly requestedUrls: Array<string>
}

describe.skipIf(executablePath === undefined && process.env.CI !== "true")("the dashboard in a real browser", { timeout: 90_000 }, () => {
  let service: RunningService
  let browser: Browser
  let seeded: Seeded
  let token: string

  beforeAll(async () => {
    // In CI a missing Chromium fails the run here: .ci/run installs it.
    if (executablePath === undefined) throw new Error("no Chromium: install Debian's chromium package or set CHROMIUM_PATH")
    service = await startService({ ...serviceEnvironment, DATA_DIR: tempDataDir(), DATABASE_URL: await freshDatabaseUrl() })
    seeded = await seed(service.baseUrl)
    await drained(service.baseUrl)
    token = await orgToken()
    browser = await chromium.launch({ executablePath, headless: true, args: chromiumArgs })
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await service?.stop()
  })

  const open = async (options: { readonly width?: number; readonly colorScheme?: "light" | "dark" } = {}): Promise<Watched> => {
    const context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: (options.width ?? 1280) > 600 ? 900 : 780 }, colorScheme: options.colorScheme ?? "light", acceptDownloads: true })
    const page = await context.newPage()
    const watched: Watched = { page, problems: [], requestedUrls: [] }
    page.on("console", (message) => { if (message.type() === "error") watched.problems.push(`console: ${message.text()}`) })
    page.on("pageerror", (error) => watched.problems.push(`page error: ${error.message}`))
    page.on("dialog", (dialog) => { watched.problems.push(`dialog: ${dialog.message()}`); void dialog.dismiss() })
    page.on("request", (request) => watched.requestedUrls.push(request.url()))
    return watched
  }

  const signIn = async ({ page }: Watched) => {
    await page.goto(`${service.baseUrl}/`)
    await page.getByLabel("Org id").fill(org)
    await page.getByLabel("Org token (JWT)").fill(token)
    await page.getByRole("button", { name: "Sign in", exact: true }).click()
    await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor()
  }

  const signInAdmin = async ({ page }: Watched) => {
    await page.goto(`${service.baseUrl}/dashboard#/sign-in`)
    await page.getByLabel("Admin key").fill(adminKey)
    await page.getByRole("button", { name: "Sign in as operator" }).click()
  }

  const axe = async ({ page }: Watched) => {
    await page.evaluate(axeSource)
    const results = Schema.decodeUnknownSync(AxeResults)(await page.evaluate("axe.run(document, { resultTypes: ['violations'] })"))
    // Rules that passed: axe ran over the view, not over an empty or blocked document.
    expect(results.passes.length).toBeGreaterThan(10)
    return results.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id} (${v.impact}): ${v.help} at ${JSON.stringify(v.nodes.map((n) => n.target))}`)
  }

  const shoot = (page: Page, name: string, fullPage = true) => page.screenshot({ path: path.join(screenshotDir(), `${name}.png`), fullPage })

  /** `expected`: the console line of an error answer the test itself provoked. */
  const finish = async (watched: Watched, expected?: RegExp) => {
    expect(watched.problems.filter((problem) => expected === undefined || !expected.test(problem))).toEqual([])
    expect(watched.requestedUrls.filter((url) => url.includes(token) || url.includes(adminKey))).toEqual([])
    await watched.page.context().close()
  }

  it("serves the page with a strict CSP, hashed assets cached for a year, and / redirecting to it", async () => {
    const root = await fetch(`${service.baseUrl}/`, { redirect: "manual" })
    expect(root.status).toBe(302)
    expect(root.headers.get("location")).toBe("/dashboard")
    const page = await fetch(`${service.baseUrl}/dashboard`)
    expect(page.headers.get("content-security-policy")).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
    expect(page.headers.get("x-content-type-options")).toBe("nosniff")
    expect(page.headers.get("content-type")).toMatch(/^text\/html/)
    const html = await page.text()
    expect(html).not.toMatch(/<script>|<script [^>]*>[^<]|<style|style=/)
    const assets = [...html.matchAll(/\/dashboard\/assets\/[\w.-]+/g)].map(([asset]) => asset)
    expect(assets.some((a) => a.endsWith(".js")) && assets.some((a) => a.endsWith(".css"))).toBe(true)
    for (const asset of assets) {
      const response = await fetch(`${service.baseUrl}${asset}`)
      expect(response.status).toBe(200)
      expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable")
    }
    expect((await fetch(`${service.baseUrl}/dashboard/assets/main-nothere.js`)).status).toBe(404)
  })

  it("signs in with an org token by keyboard alone, and the overview's numbers are the API's for the seeded org", async () => {
    const watched = await open()
    const { page } = watched
    await page.goto(`${service.baseUrl}/`)
    await page.keyboard.press("Tab")
    await expect(page.evaluate("document.activeElement.textContent")).resolves.toBe("Skip to content")
    await page.keyboard.press("Tab")
    await page.keyboard.type(org)
    await page.keyboard.press("Tab")
    await page.keyboard.type(token)
    await page.keyboard.press("Enter")
    await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor()
    const summary = Schema.decodeUnknownSync(Summary)(await api(service.baseUrl, "GET", "/broadcast/stats/summary"))
    const metric = (key: string) => watched.page.locator(`[data-metric="${key}"]`).first().textContent()
    const c = summary.counters
    const expected: Record<string, number | undefined> = {
      sent: c.sent, delivered: c.delivered, opened: c.opened, openedByHumans: c.openedByHumans,
      openedByMachines: (c.openedTotal ?? 0) - (c.openedByHumans ?? 0), clicked: c.clicked, bounced: c.bounced, complained: c.complained, unsubscribed: c.unsubscribed
    }
    for (const [key, value] of Object.entries(expected)) expect([key, await metric(key)]).toEqual([key, value?.toLocaleString("en-US")])
    // Every count the seed makes is there, so the comparison is not of two zeros.
    for (const key of ["sent", "delivered", "opened", "openedByHumans", "openedByMachines", "clicked", "bounced", "complained"]) expect([key, expected[key]]).not.toEqual([key, 0])
    await watched.page.getByText("What to do:").first().waitFor()
    await shoot(watched.page, "overview", false)
    await finish(watched)
  })

  it("filters and pages a broadcast's report, opens a row's chronology, finds a recipient and downloads the CSV", async () => {
    const watched = await open()
    const { page } = watched
    await signIn(watched)
    await page.getByRole("link", { name: "Broadcasts" }).click()
    await page.getByRole("link", { name: "Spring sale" }).click()
    const rows = page.locator("table.report tbody tr[data-recipient]")
    await page.getByRole("button", { name: "Next 50 rows" }).waitFor()
    expect(await rows.count()).toBe(50)
    await shoot(page, "broadcast", false)
    await page.getByRole("button", { name: "Next 50 rows" }).click()
    await rows.nth(50).waitFor()
    const shown = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-recipient")))
    expect(shown).toHaveLength(60)
    expect(new Set(shown)).toEqual(new Set(seeded.recipients))

    await page.getByLabel("Status").selectOption("bounced")
    await page.getByRole("button", { name: "Filter" }).click()
    await page.getByRole("table", { name: "Delivery rows with status bounced" }).waitFor()
    const bounced = Schema.decodeUnknownSync(ReportPage)(await api(service.baseUrl, "GET", `/broadcast/${seeded.broadcastId}/report?status=bounced`))
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-recipient")))).toEqual(bounced.items.map((item) => item.recipient))
    expect(bounced.items).toHaveLength(5)

    const first = rows.first()
    await first.getByRole("button", { name: "Chronology" }).click()
    const chronology = page.locator("tr.detail:not([hidden])").first()
    await expect(chronology.textContent()).resolves.toContain("bounced")
    await expect(chronology.textContent()).resolves.toContain(hostileReason)
    await page.getByRole("heading", { name: "Report" }).scrollIntoViewIfNeeded()
    await page.evaluate("scrollBy(0, document.querySelector('h2#report-title').getBoundingClientRect().top - 10)")
    await shoot(page, "chronology", false)

    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download CSV" }).click()])
    const csv = readFileSync(await download.path(), "utf8")
    expect(csv).toBe(await api(service.baseUrl, "GET", `/broadcast/${seeded.broadcastId}/report.csv?status=bounced`))
    expect(csv.trim().split("\r\n")).toHaveLength(6)

    await page.getByRole("searchbox", { name: "Recipient" }).fill(recipientOf(7).toUpperCase())
    await page.getByRole("button", { name: "Find" }).click()
    await page.getByRole("table", { name: `Rows of ${recipientOf(7)}` }).waitFor()
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-recipient")))).toEqual([recipientOf(7)])
    await finish(watched)
  })

  it("renders a hostile recipient and reason as text, never as markup", async () => {
    const watched = await open()
    const { page } = watched
    await signIn(watched)
    await page.goto(`${service.baseUrl}/dashboard#/broadcasts/${seeded.broadcastId}`)
    await page.getByRole("button", { name: "Next 50 rows" }).click()
    await expect(page.locator(`tr[data-recipient="${hostileRecipient}"] td`).first().textContent()).resolves.toBe(hostileRecipient)
    await page.goto(`${service.baseUrl}/dashboard#/live`)
    await page.locator('ol.feed[data-live="true"]').waitFor({ state: "attached" })
    await webhook(service.baseUrl, [{ id: unique("evt-"), type: "bounced", timestamp: new Date().toISOString(), messageId: unique("m-"), recipient: hostileRecipient, data: { reason: hostileReason } }])
    await page.locator("ol.feed li").filter({ hasText: hostileRecipient }).waitFor()
    expect(await page.locator("img").count()).toBe(0)
    expect(await page.locator("main script").count()).toBe(0)
    await finish(watched)
  })

  it("shows a webhook posted meanwhile in the live feed within 2 s, and holds events while paused", async () => {
    const watched = await open()
    const { page } = watched
    await signIn(watched)
    await page.getByRole("link", { name: "Live feed" }).click()
    await page.locator('ol.feed[data-live="true"]').waitFor({ state: "attached" })
    const live = `live-${unique("")}@example.com`
    await webhook(service.baseUrl, [{ id: unique("evt-"), type: "delivered", timestamp: new Date().toISOString(), messageId: unique("m-"), recipient: live }])
    await page.locator("ol.feed li").filter({ hasText: live }).waitFor({ timeout: 2_000 })
    await shoot(page, "live", false)

    await page.getByRole("button", { name: "Pause" }).click()
    const held = `held-${unique("")}@example.com`
    await webhook(service.baseUrl, [{ id: unique("evt-"), type: "opened", timestamp: new Date().toISOString(), messageId: unique("m-"), recipient: held }])
    await page.getByText("Paused: 1 new events held until you resume.").waitFor()
    expect(await page.locator("ol.feed li").filter({ hasText: held }).count()).toBe(0)
    await page.getByRole("button", { name: "Resume" }).click()
    await page.locator("ol.feed li").filter({ hasText: held }).waitFor()
    await finish(watched)
  })

  it("shows a flagged sender account with its reason and since when, as the API has it", async () => {
    const watched = await open()
    const { page } = watched
    await signIn(watched)
    const { items } = Schema.decodeUnknownSync(SenderAccounts)(await api(service.baseUrl, "GET", "/sender-accounts"))
    const flagged = items.find((account) => account.id === "mail.acme.com")
    expect(flagged?.flaggedReason).toMatch(/bounce rate/)
    await expect(page.getByText("sender account mail.acme.com is flagged").first().textContent()).resolves.toContain(flagged?.flaggedReason)
    await page.getByRole("link", { name: "Sender accounts" }).click()
    const row = page.getByRole("table", { name: "Sender accounts, lifetime counts" }).locator("tbody tr").filter({ hasText: "mail.acme.com" })
    await expect(row.textContent()).resolves.toContain(`flagged since ${flagged?.flaggedAt?.replace("T", " ").slice(0, 19)}: ${flagged?.flaggedReason}`)
    await finish(watched)
  })

  it("looks a contact up, lifts its suppression with a reason, and shows the audit entry", async () => {
    const watched = await open()
    const { page } = watched
    await signIn(watched)
    await page.getByRole("link", { name: "Contacts" }).click()
    await page.getByRole("searchbox", { name: "Email or phone number" }).fill(recipientOf(51))
    await page.getByRole("button", { name: "Look up" }).click()
    const suppressions = page.getByRole("table", { name: "Suppressions of the contact's addresses" })
    await expect(suppressions.locator("tbody tr").first().textContent()).resolves.toContain("bounce")
    await expect(page.locator("dl.facts").textContent()).resolves.toContain("Bounced onemail")
    await page.getByLabel("Reason to lift email suppression").fill("mailbox fixed, ticket 4711")
    await page.getByRole("button", { name: "Lift" }).click()
    await suppressions.getByText("Nothing here yet.").waitFor()
    const audit = page.getByRole("table", { name: "Audit entries of the contact's addresses, newest first" })
    await expect(audit.textContent()).resolves.toContain("suppression.lifted")
    await expect(audit.textContent()).resolves.toContain("mailbox fixed, ticket 4711")
    const check = await api(service.baseUrl, "POST", "/suppressions/check", { channel: "email", addresses: [recipientOf(51)] })
    expect(check).toMatchObject({ allowed: [recipientOf(51)], suppressed: [] })
    await finish(watched)
  })

  it("shows the operator the inbox backlog and dead letters with the admin key, and answers a replay", async () => {
    // Signed, so it is kept as a dead letter, but not an event type: it will not decode on replay either.
    await webhook(service.baseUrl, [{ id: unique("evt-"), type: "exploded", timestamp: new Date().toISOString(), messageId: "m-dead", recipient: "dead@example.com" }], 400)
    const watched = await open()
    const { page } = watched
    await signInAdmin(watched)
    await page.getByRole("heading", { level: 1, name: "Operations" }).waitFor()
    const inbox = Schema.decodeUnknownSync(Inbox)(await (await fetch(`${service.baseUrl}/admin/inbox`, { headers: { authorization: `Bearer ${adminKey}` } })).json())
    await expect(page.locator('[data-metric="pending"]').textContent()).resolves.toBe(String(inbox.pending))
    const letters = page.getByRole("table", { name: "Dead letters not yet replayed, newest first" })
    await expect(letters.locator("tbody tr").first().textContent()).resolves.toContain("exploded")
    await shoot(page, "operations")
    await letters.getByRole("button", { name: /^Replay / }).first().click()
    await expect(page.getByRole("alert").textContent()).resolves.toContain("still does not decode")
    await finish(watched, /^console: Failed to load resource: the server responded with a status of 422/)
  })

  it("shows the org's notification endpoints with their state and delivery log, never a URL's path", async () => {
    const failing = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("down for maintenance", { status: 500 }) })
    try {
      const url = `http://127.0.0.1:${failing.port}/services/T0SECRETPATH`
      const { endpoint } = await api(service.baseUrl, "POST", "/notification-endpoints", { url, events: ["delivery.bounced"] }) as { endpoint: { id: string } }
      await api(service.baseUrl, "POST", `/notification-endpoints/${endpoint.id}/test`)
      const watched = await open()
      const { page } = watched
      await signIn(watched)
      await page.goto(`${service.baseUrl}/dashboard#/operations`)
      const card = page.locator(`[data-endpoint="${endpoint.id}"]`)
      await expect(card.getByRole("heading", { level: 3 }).textContent()).resolves.toBe(`127.0.0.1:${failing.port} · standard`)
      await card.getByText("Delivery log", { exact: true }).click()
      const log = card.getByRole("table", { name: `Delivery log of endpoint ${endpoint.id}, newest first` })
      await expect(log.locator("tbody tr").first().textContent()).resolves.toMatch(/endpoint\.test.*500/)
      expect(await page.content()).not.toContain("T0SECRETPATH")
      await shoot(page, "operations-notifications")
      await finish(watched)
    } finally {
      void failing.stop(true)
    }
  })

  const views: ReadonlyArray<readonly [name: string, hash: string, ready: string]> = [
    ["overview", "#/overview", "By channel"],
    ["broadcasts", "#/broadcasts", "Spring sale"],
    ["stats", "#/stats", "Counters per bucket"],
    ["contacts", `#/contacts/${recipientOf(50)}`, "Audit entries"],
    ["senders", "#/senders", "mail.acme.com"],
    ["live", "#/live", "Live: events appear as they are applied."],
    ["operations", "#/operations", "Dead letters"]
  ]

  for (const [width, colorScheme] of [[1280, "light"], [360, "dark"]] as const) {
    it(`every view at ${width} px in ${colorScheme} has no serious or critical accessibility violation and no console error`, async () => {
      const watched = await open({ width, colorScheme })
      await signIn(watched)
      await signInAdmin(watched)
      for (const [name, hash, ready] of views) {
        await watched.page.goto(`${service.baseUrl}/dashboard${hash}`)
        await watched.page.getByText(ready, { exact: false }).first().waitFor()
        await watched.page.locator('[aria-busy="true"]').waitFor({ state: "detached" })
        expect([name, await axe(watched)]).toEqual([name, []])
        // Readable at this width: only wide tables scroll (inside their own region), never the page.
        expect([name, await watched.page.evaluate("document.documentElement.scrollWidth")]).toEqual([name, width])
        await shoot(watched.page, `${name}-${width}-${colorScheme}`, width > 600)
      }
      await finish(watched)
    })
  }
})
