import "uplot/dist/uPlot.min.css"
import "./dashboard.css"
import { h, replace } from "./dom.js"
import { adminCredentials, orgCredentials, signOut } from "./session.js"
import type { View } from "./view.js"
import { broadcastView } from "./views/Broadcasts.js"
import { contactsView } from "./views/Contacts.js"
import { liveView } from "./views/Live.js"
import { operationsView } from "./views/Operations.js"
import { overviewView } from "./views/Overview.js"
import { sendersView } from "./views/Senders.js"
import { signInView } from "./views/SignIn.js"
import { statsView } from "./views/Stats.js"

const views: ReadonlyArray<readonly [path: string, label: string, view: View]> = [
  ["overview", "Overview", overviewView],
  ["broadcasts", "Broadcasts", broadcastView],
  ["stats", "Stats", statsView],
  ["contacts", "Contacts", contactsView],
  ["senders", "Sender accounts", sendersView],
  ["live", "Live feed", liveView],
  ["operations", "Operations", operationsView]
]

const app = document.getElementById("app") ?? document.body
const main = h("main", { id: "main" })
let stop: (() => void) | void = undefined

const signedIn = () => orgCredentials() !== undefined || adminCredentials() !== undefined

const route = () => {
  stop?.()
  stop = undefined
  const [name = "", ...rest] = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent)
  if (!signedIn() || name === "sign-in") {
    drawChrome("sign-in")
    stop = signInView(main, [])
    return
  }
  const found = views.find(([path]) => path === name)
  if (found === undefined) {
    location.replace(orgCredentials() === undefined ? "#/operations" : "#/overview")
    return
  }
  drawChrome(found[0])
  stop = found[2](main, rest)
  main.querySelector("h1")?.focus()
}

const drawChrome = (current: string) => {
  const org = orgCredentials()
  const nav = signedIn()
    ? h("nav", { "aria-label": "Views" }, h("ul", {}, views.map(([path, label]) =>
      h("li", {}, h("a", { href: `#/${path}`, "aria-current": path === current ? "page" : undefined }, label)))))
    : null
  const who = signedIn()
    ? h("div", { class: "who" },
      h("span", {}, org === undefined ? "admin" : `org ${org.orgId}`, adminCredentials() !== undefined && org !== undefined ? " + admin" : ""),
      h("a", { href: "#/sign-in" }, "Add a key"),
      h("button", { type: "button", onclick: () => { signOut(); location.hash = "#/sign-in"; route() } }, "Sign out"))
    : null
  replace(app,
    h("a", { class: "skip", href: "#main", onclick: (event: Event) => { event.preventDefault(); main.focus() } }, "Skip to content"),
    h("header", {}, h("p", { class: "brand" }, "Sendtrail"), nav, who),
    main)
  main.setAttribute("tabindex", "-1")
}

addEventListener("hashchange", route)
route()
