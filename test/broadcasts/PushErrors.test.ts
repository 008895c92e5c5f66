import { describe, expect, it } from "@effect/vitest"
import { classify } from "../../src/broadcasts/PushErrors.js"

const dead = { outcome: "bounced", deadToken: true }
const kept = { outcome: "failed", deadToken: false }

describe("push send results", () => {
  it("a success is sent", () => {
    expect(classify("fcm", undefined)).toEqual({ outcome: "sent", deadToken: false })
    expect(classify("apns", undefined)).toEqual({ outcome: "sent", deadToken: false })
  })

  it("FCM's dead-token codes, current and legacy, bounce and retire the token", () => {
    for (const code of ["UNREGISTERED", "NOT_FOUND", "SENDER_ID_MISMATCH", "NotRegistered", "InvalidRegistration", "MismatchSenderId",
      "messaging/registration-token-not-registered", "messaging/invalid-registration-token"]) {
      expect(classify("fcm", { code }), code).toEqual(dead)
    }
  })

  it("FCM's INVALID_ARGUMENT retires the token only when it is about the token, not the payload", () => {
    expect(classify("fcm", { code: "INVALID_ARGUMENT", message: "The registration token is not a valid FCM registration token", status: 400 })).toEqual(dead)
    expect(classify("fcm", { code: "INVALID_ARGUMENT", message: "Invalid value at 'message.data[0].value' (TYPE_STRING), 12" })).toEqual(kept)
    expect(classify("fcm", { code: "INVALID_ARGUMENT" })).toEqual(kept)
  })

  it("quota, unavailability, internal and credential errors fail the delivery and keep the token", () => {
    for (const code of ["QUOTA_EXCEEDED", "UNAVAILABLE", "INTERNAL", "THIRD_PARTY_AUTH_ERROR", "UNSPECIFIED_ERROR", "something new"]) {
      expect(classify("fcm", { code }), code).toEqual(kept)
    }
    for (const code of ["TooManyRequests", "InternalServerError", "ServiceUnavailable", "ExpiredProviderToken", "PayloadTooLarge", "DeviceTokenNotForTopic"]) {
      expect(classify("apns", { code }), code).toEqual(kept)
    }
  })

  it("APNs' 410 Unregistered / ExpiredToken and BadDeviceToken bounce and retire the token", () => {
    expect(classify("apns", { code: "Unregistered", status: 410 })).toEqual(dead)
    expect(classify("apns", { code: "ExpiredToken" })).toEqual(dead)
    expect(classify("apns", { code: "BadDeviceToken", status: 400 })).toEqual(dead)
    expect(classify("apns", { code: "SomethingElse", status: 410 })).toEqual(dead)
  })

  it("codes are read for the provider named: an APNs reason sent as FCM's is not taken for one", () => {
    expect(classify("fcm", { code: "Unregistered" })).toEqual(kept)
    expect(classify("apns", { code: "UNREGISTERED" })).toEqual(kept)
  })
})
