// Server-Sent Events framing (https://html.spec.whatwg.org/multipage/server-sent-events.html), for a
// stream read in chunks that may split a line or a CRLF anywhere (client.ts's streaming TextDecoder
// already joins characters split between chunks). Lines end with LF, CRLF or CR.

export interface ServerSentEvent {
  readonly event: string
  readonly data: string
}

export interface SseHandlers {
  readonly event: (event: ServerSentEvent) => void
  readonly comment: (text: string) => void
}

/** A parser fed decoded text as it arrives; each complete message (a blank line ends it) goes to the handlers. */
export const sseParser = (on: SseHandlers) => {
  let partial = ""
  let lines: Array<string> = []
  // A CR ends a line at once; an LF right after it (perhaps in the next chunk) belongs to it.
  let skipLineFeed = false
  const dispatch = () => {
    let event = "message"
    const data: Array<string> = []
    for (const line of lines) {
      if (line.startsWith(":")) on.comment(line.slice(1).trim())
      else if (line.startsWith("event:")) event = line.slice(6).trim()
      else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""))
    }
    lines = []
    if (data.length > 0) on.event({ event, data: data.join("\n") })
  }
  return (text: string) => {
    let i = 0
    if (skipLineFeed && text.length > 0) {
      if (text[0] === "\n") i = 1
      skipLineFeed = false
    }
    while (i < text.length) {
      const cr = text.indexOf("\r", i)
      const lf = text.indexOf("\n", i)
      const end = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf)
      if (end === -1) {
        partial += text.slice(i)
        return
      }
      const line = partial + text.slice(i, end)
      partial = ""
      i = end + 1
      if (text[end] === "\r") {
        if (i === text.length) skipLineFeed = true
        else if (text[i] === "\n") i++
      }
      if (line === "") dispatch()
      else lines.push(line)
    }
  }
}
