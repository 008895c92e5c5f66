import { Schema } from "effect"
import { ApiError, get } from "../client.js"
import { field, h, heading, notice, replace } from "../dom.js"
import { adminCredentials, orgCredentials, signInAdmin, signInOrg, signOut } from "../session.js"
import type { View } from "../view.js"

const Anything = Schema.Unknown

const input = (name: string, type: string, value = "") =>
  h("input", { name, id: `sign-in-${name}`, type, value, required: true, autocomplete: "off", spellcheck: "false" })

/** Checks the credentials against a cheap endpoint before keeping them, so a typo is told at once. */
const verified = async (status: HTMLElement, check: () => Promise<unknown>, undo: () => void) => {
  try {
    await check()
    location.hash = orgCredentials() === undefined ? "#/operations" : "#/overview"
  } catch (error) {
    undo()
    replace(status, notice(error instanceof ApiError ? `Not signed in: ${error.message}` : String(error), "error"))
  }
}

/**
 * An org token (a JWT whose `org` claim is the org id) or the admin key, entered once and kept for
 * this tab only; both may be given, one after the other.
 */
export const signInView: View = (root) => {
  const status = h("div", {})
  const orgId = input("org", "text", orgCredentials()?.orgId ?? "")
  const token = input("token", "password")
  const key = input("admin-key", "password")
  const orgForm = h("form", {
    "aria-labelledby": "org-sign-in",
    onsubmit: (event: Event) => {
      event.preventDefault()
      const previousAdmin = adminCredentials()
      signInOrg({ orgId: orgId.value.trim(), token: token.value.trim() })
      void verified(status, () => get(Anything, "/sender-accounts"), () => { signOut(); if (previousAdmin !== undefined) signInAdmin(previousAdmin) })
    }
  },
    h("h2", { id: "org-sign-in" }, "Organisation"),
    field("Org id", orgId),
    field("Org token (JWT)", token),
    h("button", { type: "submit" }, "Sign in"))
  const adminForm = h("form", {
    "aria-labelledby": "admin-sign-in",
    onsubmit: (event: Event) => {
      event.preventDefault()
      const previousOrg = orgCredentials()
      signInAdmin(key.value.trim())
      void verified(status, () => get(Anything, "/admin/inbox", undefined, "admin"), () => { signOut(); if (previousOrg !== undefined) signInOrg(previousOrg) })
    }
  },
    h("h2", { id: "admin-sign-in" }, "Operator"),
    field("Admin key", key),
    h("button", { type: "submit" }, "Sign in as operator"))
  replace(root,
    heading("Sign in"),
    h("p", {}, "The token or key is kept for this tab only and sent in request headers, never in a URL. An org token is a JWT signed with the service's JWT_SECRET (or JWT_PUBLIC_KEY's private key) whose org claim is the org id; the admin key is ADMIN_API_KEY."),
    status,
    h("div", { class: "cards" }, orgForm, adminForm))
}
