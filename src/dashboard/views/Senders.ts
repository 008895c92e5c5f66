import { get } from "../client.js"
import { dateTime, h, heading, number, percent, replace, table } from "../dom.js"
import { SenderAccounts } from "../schemas.js"
import type { View } from "../view.js"
import { section } from "../view.js"

/** The org's sender accounts: lifetime counts and rates, and each flag with its reason and since when. */
export const sendersView: View = (root) => {
  replace(root,
    heading("Sender accounts"),
    h("p", {}, "A flagged account breached the bounce or complaint policy and stays flagged until an operator clears it: send from another account meanwhile."),
    section("Sender accounts", async (into) => {
      const { items } = await get(SenderAccounts, "/sender-accounts")
      replace(into, table("Sender accounts, lifetime counts", [
        { label: "Account", cell: (a) => a.id },
        { label: "Sent", numeric: true, cell: (a) => number(a.sent) },
        { label: "Delivered", numeric: true, cell: (a) => number(a.delivered) },
        { label: "Bounced", numeric: true, cell: (a) => number(a.bounced) },
        { label: "Complained", numeric: true, cell: (a) => number(a.complained) },
        { label: "Bounce rate", numeric: true, cell: (a) => percent(a.bounceRate) },
        { label: "Complaint rate", numeric: true, cell: (a) => percent(a.complaintRate) },
        { label: "Flag", cell: (a) => (a.flaggedAt === null ? h("span", { class: "badge ok" }, "ok") : [h("span", { class: "badge critical" }, "flagged"), ` since ${dateTime(a.flaggedAt)}: `, a.flaggedReason ?? ""]) }
      ], items))
    }))
}
