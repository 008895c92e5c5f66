import { expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import {
  basic, configuredService, createConnection, genericDefaultSecret, genericRequest, mailgunDefaultKey, mailgunRequest, nowSeconds, post,
  postmarkDefault, refusal, resendDefaultSecret, resendRequest, sendgridDefault, sendgridRequest, sesBounce, snsRequest, twilioDefaultToken,
  twilioRequest, unconfiguredService, unique
} from "../support/providerRoutes.js"

const twilioPath = "/connect/webhook/twilio/status"

/** For each vendor: its default route, and a request its default-org secret would sign correctly. */
const signedRequests = () => ({
  sendgrid: ["/connect/webhook/sendgrid", sendgridRequest(sendgridDefault, [{
    email: "ada@example.com", event: "delivered", timestamp: nowSeconds(), sg_event_id: unique("ZGVs"), sg_message_id: `${unique("sg")}.filter0001`
  }])],
  mailgun: ["/connect/webhook/mailgun", mailgunRequest(mailgunDefaultKey, {
    event: "delivered", id: unique("mg"), timestamp: nowSeconds(), recipient: "ada@example.com", message: { headers: { "message-id": `${unique("mg")}@mg.example.com` } }
  })],
  resend: ["/connect/webhook/resend", resendRequest(resendDefaultSecret, {
    type: "email.delivered", created_at: new Date().toISOString(), data: { email_id: unique("re"), to: ["ada@example.com"] }
  })],
  postmark: ["/connect/webhook/postmark", {
    body: JSON.stringify({ RecordType: "Delivery", MessageID: crypto.randomUUID(), Recipient: "ada@example.com", DeliveredAt: new Date().toISOString() }),
    headers: { "content-type": "application/json", authorization: basic(postmarkDefault.user, postmarkDefault.password) }
  }],
  twilio: [twilioPath, twilioRequest(twilioDefaultToken, twilioPath, { MessageSid: unique("SM"), MessageStatus: "delivered", To: "+15558675310" })],
  ses: ["/api/ses-events", snsRequest({ Message: sesBounce(unique("ses"), "ada@example.com") })],
  generic: ["/connect/webhook/generic", genericRequest(genericDefaultSecret, {
    id: unique("evt-"), type: "delivered", timestamp: new Date().toISOString(), messageId: unique("gen-"), recipient: "ada@example.com"
  })]
}) as const

/** The setting each vendor's refusal must name when the default org has no secret for it. */
const settings = {
  sendgrid: "SENDGRID_WEBHOOK_PUBLIC_KEY",
  mailgun: "MAILGUN_WEBHOOK_SIGNING_KEY",
  resend: "RESEND_WEBHOOK_SECRET",
  postmark: "POSTMARK_WEBHOOK_USER",
  twilio: "TWILIO_AUTH_TOKEN",
  ses: "SES_TOPIC_ARNS",
  generic: "GENERIC_WEBHOOK_SECRET"
} as const

layer(unconfiguredService, { excludeTestServices: true })("provider routes with no secrets configured", (it) => {
  for (const [vendor, setting] of Object.entries(settings)) {
    it.effect(`${vendor} refuses a signed request with 401 missing-secret naming ${setting}`, () =>
      Effect.gen(function* () {
        const [path, request] = signedRequests()[vendor as keyof typeof settings]
        const reply = yield* post(path, request)
        expect(reply).toEqual({ status: 401, body: refusal("SignatureRejected", "missing-secret") })
        expect(reply.body).toMatchObject({ message: expect.stringContaining(setting) })
      }))
  }
})

layer(configuredService, { excludeTestServices: true })("connection routes of every provider", (it) => {
  it.effect("an unknown connection id, or another vendor's connection, is a 404 NotFound", () =>
    Effect.gen(function* () {
      const generic = yield* createConnection(unique("acme-"), "generic", { secret: "other" })
      const routes = ["sendgrid", "mailgun", "resend", "postmark", "twilio/status", "generic"]
      for (const route of routes) {
        const reply = yield* post(`/connect/webhook/${route}/conn_unknown`, { body: "{}", headers: { "content-type": "application/json" } })
        expect(reply).toEqual({ status: 404, body: { error: "NotFound", message: expect.stringContaining("conn_unknown") } })
      }
      for (const route of routes.filter((r) => r !== "generic")) {
        const reply = yield* post(`/connect/webhook/${route}/${generic}`, { body: "{}", headers: { "content-type": "application/json" } })
        expect(reply).toEqual({ status: 404, body: { error: "NotFound", message: expect.stringContaining(generic) } })
      }
    }))

  it.effect("a connection whose secrets do not fit its vendor is refused at creation with 400 naming the field", () =>
    Effect.gen(function* () {
      const admin = { "content-type": "application/json", authorization: "Bearer routes-admin-key" }
      const cases = [
        ["sendgrid", { publicKey: "MFkw" }, "secrets.publicKey"],
        ["mailgun", {}, "secrets.signingKey"],
        ["resend", { secret: "not a whsec" }, "secrets.secret"],
        ["postmark", { user: "a:b", password: "x" }, "secrets.user"],
        ["twilio", { authToken: " " }, "secrets.authToken"],
        ["ses", { topicArns: ["not-an-arn"] }, "secrets.topicArns"]
      ] as const
      for (const [vendor, secrets, field] of cases) {
        const reply = yield* post("/admin/connections", { body: JSON.stringify({ orgId: "acme", vendor, secrets }), headers: admin })
        expect(reply).toEqual({ status: 400, body: { error: "BadRequest", message: expect.stringContaining(field) } })
      }
    }))
})
