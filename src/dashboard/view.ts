import { ApiError } from "./client.js"
import { h, notice, replace } from "./dom.js"

/** A view draws itself into `root`; it may return what stops it (a stream, a timer) when the user leaves. */
export type View = (root: HTMLElement, path: ReadonlyArray<string>) => (() => void) | void

/** Runs a view's async part, showing a failure in the view instead of leaving it blank. */
export const showing = (root: HTMLElement, work: () => Promise<void>) => {
  work().catch((error: unknown) => {
    const message = error instanceof ApiError ? error.message : error instanceof Error ? error.message : String(error)
    // Credentials that stopped working (an expired token): say so, and offer the way back.
    const signIn = error instanceof ApiError && (error.status === 401 || error.status === 403) ? h("a", { href: "#/sign-in" }, "Sign in again") : null
    replace(root, notice(message, "error"), signIn)
  })
}

/** A part of a view that loads on its own: shows "Loading…", then what `work` draws, or its error. */
export const section = (label: string, work: (into: HTMLElement) => Promise<void>) => {
  const into = h("section", { "aria-label": label, "aria-busy": "true" }, notice("Loading…"))
  showing(into, async () => {
    try {
      await work(into)
    } finally {
      into.setAttribute("aria-busy", "false")
    }
  })
  return into
}

/** A button that reads the next page of a cursor listing, or nothing on the last page. */
export const moreButton = (nextCursor: string | null, label: string, load: (cursor: string) => void) =>
  nextCursor === null ? null : h("button", { type: "button", class: "more", onclick: () => load(nextCursor) }, label)
