import type { Column } from "./dom.js"
import { number, percent } from "./dom.js"
import { machineOpens, ratesOf } from "./counters.js"
import type { Counters } from "./schemas.js"

// The server's own lists (pure modules of effect alone): a channel added there is one here.
export { channels } from "../domain/Event.js"

export const counterRows: ReadonlyArray<readonly [key: string, label: string, read: (c: Counters) => number]> = [
  ["sent", "Sent", (c) => c.sent],
  ["delivered", "Delivered", (c) => c.delivered],
  ["opened", "Opened (unique)", (c) => c.opened],
  ["openedByHumans", "Opens by humans", (c) => c.openedByHumans],
  ["openedByMachines", "Opens by machines", machineOpens],
  ["clicked", "Clicked (unique)", (c) => c.clicked],
  ["bounced", "Bounced", (c) => c.bounced],
  ["complained", "Complained", (c) => c.complained],
  ["unsubscribed", "Unsubscribed", (c) => c.unsubscribed]
]

/** One row per channel or stream: its counters and main rates. */
export const breakdownColumns = <A extends { readonly counters: Counters }>(label: string, name: (row: A) => string): ReadonlyArray<Column<A>> => [
  { label, cell: name },
  ...counterRows.map(([, title, read]): Column<A> => ({ label: title, numeric: true, cell: (row) => number(read(row.counters)) })),
  { label: "Delivery rate", numeric: true, cell: (row) => percent(ratesOf(row.counters).deliveryRate) },
  { label: "Complaint rate", numeric: true, cell: (row) => percent(ratesOf(row.counters).complaintRate) }
]
