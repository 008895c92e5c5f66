import { Option } from "effect"

/** Target URLs travel base64url-encoded, so their own query strings and fragments survive intact. */
export const encodeTarget = (url: string): string => Buffer.from(url, "utf8").toString("base64url")

/** The target URL, when the text is base64url of an absolute http(s) URL. */
export const decodeTarget = (encoded: string): Option.Option<string> => {
  if (!/^[A-Za-z0-9_-]+$/.test(encoded)) return Option.none()
  const url = Buffer.from(encoded, "base64url").toString("utf8")
  return isHttpUrl(url) ? Option.some(url) : Option.none()
}

export const isHttpUrl = (value: string): boolean =>
  URL.canParse(value) && /^https?:$/.test(new URL(value).protocol)

/** The public tracking URLs under PUBLIC_BASE_URL. */
export const trackingLinks = (publicBaseUrl: string) => {
  const base = `${publicBaseUrl}/api/tracking`
  return {
    pixel: (token: string) => `${base}/pixel.gif?t=${token}`,
    click: (token: string, url: string) => `${base}/click?t=${token}&url=${encodeTarget(url)}`,
    unsubscribe: (token: string) => `${base}/unsubscribe?t=${token}`,
    /** True for a URL that already points at these endpoints (never wrapped twice). */
    isOwn: (url: string) => url.startsWith(`${base}/`)
  } as const
}
