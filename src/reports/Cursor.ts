import { Option } from "effect"
import { InvalidCursor } from "../storage/Cursor.js"

const encode = (text: string): string => Buffer.from(text, "utf8").toString("base64url")
const decode = (cursor: string): Option.Option<string> =>
  /^[A-Za-z0-9_-]+$/.test(cursor) ? Option.some(Buffer.from(cursor, "base64url").toString("utf8")) : Option.none()

const bad = (cursor: string) => new InvalidCursor({ cursor })

/** The report's keyset: the last delivery id of a page. */
export const idCursor = {
  encode: (id: number): string => encode(`d:${id}`),
  decode: (cursor: string): Option.Option<number> =>
    Option.flatMap(decode(cursor), (text) => {
      const match = /^d:(\d{1,15})$/.exec(text)
      return match?.[1] === undefined ? Option.none() : Option.some(Number(match[1]))
    }),
  bad
}

/** The activity feed's keyset: (occurred_at in microseconds since the epoch, event id) of the last item. */
export const eventCursor = {
  encode: (micros: string, id: number): string => encode(`e:${micros}:${id}`),
  decode: (cursor: string): Option.Option<{ readonly micros: string; readonly id: number }> =>
    Option.flatMap(decode(cursor), (text) => {
      const match = /^e:(-?\d{1,18}):(\d{1,15})$/.exec(text)
      return match?.[1] === undefined || match[2] === undefined ? Option.none() : Option.some({ micros: match[1], id: Number(match[2]) })
    }),
  bad
}
