import type { PushError } from "./Inputs.js"

export type PushOutcome = "sent" | "bounced" | "failed"

export interface Classified {
  readonly outcome: PushOutcome
  /** The token will never work again for this sender: mark it inactive. */
  readonly deadToken: boolean
}

// FCM HTTP v1 ErrorCode, the legacy server codes and their Admin SDK names
// (https://firebase.google.com/docs/reference/fcm/rest/v1/ErrorCode, manage-tokens; PROVIDERS.md §7.1).
const fcmDead = new Set([
  "UNREGISTERED",
  "NOT_FOUND",
  "SENDER_ID_MISMATCH",
  "NotRegistered",
  "InvalidRegistration",
  "MismatchSenderId",
  "messaging/registration-token-not-registered",
  "messaging/invalid-registration-token",
  "messaging/mismatched-credential"
])
// INVALID_ARGUMENT is also what FCM answers for a bad payload: only the token message means the token.
const fcmInvalidArgument = new Set(["INVALID_ARGUMENT", "messaging/invalid-argument"])
const invalidTokenMessage = /registration token/i

// APNs reasons (Apple, "Handling error responses from APNs"; PROVIDERS.md §7.2): 410 means the token
// is no longer active for the topic; BadDeviceToken is malformed or from the other environment.
const apnsDead = new Set(["Unregistered", "ExpiredToken", "BadDeviceToken"])

/** What a push send's result means for the delivery and the token; anything unknown keeps the token. */
export const classify = (provider: "fcm" | "apns", error: PushError | undefined): Classified => {
  if (error === undefined) return { outcome: "sent", deadToken: false }
  const dead = provider === "fcm"
    ? fcmDead.has(error.code) || (fcmInvalidArgument.has(error.code) && invalidTokenMessage.test(error.message ?? ""))
    : apnsDead.has(error.code) || error.status === 410 || error.status === "410"
  return dead ? { outcome: "bounced", deadToken: true } : { outcome: "failed", deadToken: false }
}
