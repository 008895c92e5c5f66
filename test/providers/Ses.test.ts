import { describe, expect, it } from "@effect/vitest"
import { generateKeyPairSync, sign as rsaSign } from "node:crypto"
import type { KeyObject } from "node:crypto"
import { Cause, ConfigProvider, DateTime, Effect, Exit, FastCheck as fc, Option } from "effect"
import type { NormalizedEvent } from "../../src/domain/Event.js"
import type { Envelope, Secrets } from "../../src/providers/Ses.js"
import { decode, envSecrets, PayloadRejected, SignatureRejected, stringToSign, subscription, verify } from "../../src/providers/Ses.js"
import { SnsClient, testLayer } from "../../src/providers/SnsClient.js"
import type { WebhookRequest } from "../../src/providers/Webhook.js"

const awsCertificate = `-----BEGIN CERTIFICATE-----
MIIFxTCCBK2gAwIBAgIQBkyRNHAyygLkObkxH5ju+zANBgkqhkiG9w0BAQsFADA8
MQswCQYDVQQGEwJVUzEPMA0GA1UEChMGQW1hem9uMRwwGgYDVQQDExNBbWF6b24g
UlNBIDIwNDggTTAxMB4XDTI1MTExMDAwMDAwMFoXDTI2MTAxNDIzNTk1OVowHDEa
MBgGA1UEAxMRc25zLmFtYXpvbmF3cy5jb20wggEiMA0GCSqGSIb3DQEBAQUAA4IB
DwAwggEKAoIBAQChbVNQ+DEaT5WN+l+bg0iEeF666Z6LDFc1KJr4lNl0odcXQSsk
KsZYCMVdp4I/Ikk9zWyckRTMkmQGYimpD+bTsMCP5C/sJIU0E9Y2OXjjl5Videkq
qnRL9VdE5N41Rvks7S/5MpYcSmCsmaHfwcv82Gvx2zm9CrA5Xu7K2ZqhzRQPCRSP
mHTHQr4ED63ujE+qTpPgQZ0TvgmcrAc08Z75Z7Zzs17aTNc3YhAtQx9WowN8uiHk
kgc+ONNdtwKvWZNmnbmxMHYtYc291WCP1K1Nh4TV5XNyjIebzQKDrqTCN0ItAr1x
e6Bl3BYS3SG9XHAy0q3ekITzQsKypcuaK6dTAgMBAAGjggLhMIIC3TAfBgNVHSME
GDAWgBSBuA5jiokSGOX6OztQlZ/m5ZAThTAdBgNVHQ4EFgQUBQEUzzzuVJAKzAlR
d0Q//W6HvZUwHAYDVR0RBBUwE4IRc25zLmFtYXpvbmF3cy5jb20wEwYDVR0gBAww
CjAIBgZngQwBAgEwDgYDVR0PAQH/BAQDAgWgMBMGA1UdJQQMMAoGCCsGAQUFBwMB
MDsGA1UdHwQ0MDIwMKAuoCyGKmh0dHA6Ly9jcmwucjJtMDEuYW1hem9udHJ1c3Qu
Y29tL3IybTAxLmNybDB1BggrBgEFBQcBAQRpMGcwLQYIKwYBBQUHMAGGIWh0dHA6
Ly9vY3NwLnIybTAxLmFtYXpvbnRydXN0LmNvbTA2BggrBgEFBQcwAoYqaHR0cDov
L2NydC5yMm0wMS5hbWF6b250cnVzdC5jb20vcjJtMDEuY2VyMAwGA1UdEwEB/wQC
MAAwggF/BgorBgEEAdZ5AgQCBIIBbwSCAWsBaQB3ANdtfRDRp/V3wsfpX9cAv/mC
yTNaZeHQswFzF8DIxWl3AAABmnAb33MAAAQDAEgwRgIhANXAgMEZWU326cqxqwnf
ntD0XcBjRbmvVMOp3hZ8boPXAiEAkI3NTMXcdLCChHak1ipOae7K7r3spMGUMk6Q
cEUKqBEAdgDCMX5XRRmjRe5/ON6ykEHrx8IhWiK/f9W1rXaa2Q5SzQAAAZpwG9+u
AAAEAwBHMEUCIQD+Qyok8NYaFuQkccW+XIMmxHxj6Yka2wjtg6UN/tbU5wIgcp4z
8MyC/dUfeLRuHAt0owtVgEu7xXqrMBOYlbXrfC4AdgDLOPcViXyEoURfW8Hd+8lu
8ppZzUcKaQWFsMsUwxRY5wAAAZpwG9+yAAAEAwBHMEUCIQCmu1jQUG9A2br7OqwM
FvQXtBX10yIvvDa6a2Ov1Zgg6gIgKlqRvN6WhX0pSHAN2bKmjRwIUI3X9kjS/A/m
DYULaV4wDQYJKoZIhvcNAQELBQADggEBAIbTQWQhqrG6SzwLq79tKCpI0aL0xlD+
/jrGPxpwTlK7rtAArHiEVh/bsmwLYRlIxPBiU+NE/kqeT0lhJA6/e3X3KRmnpJ6u
Z70PJGYwmZbSRsFom0vGFBMncX0qYx1iD0dooPeAkkSnM5j81rBh+FepV3HfF+tA
9gaglWLsU7Z/A0fdn9D32UPreVHloOut5EyEinvXRUAWZco9CRloyEXJr7Mxq9MZ
vYOK+5wuSPHnPij+fGlQsPxEgoTnCmU03PqNS49kL13jjEnYYdijqL+4rfHtuZbc
4hlVoZfttwg8wD3m5brhQ+GkBBNYN8HFtdVy/BnFi+SPJqv6BgB3Y00=
-----END CERTIFICATE-----`

/** A key and a certificate that expired on 2021-01-01, for the expiry check only. */
const expiredKey = `-----BEGIN PRIVATE KEY-----
MIICdgIBADANBgkqhkiG9w0BAQEFAASCAmAwggJcAgEAAoGBANgCrgoKJ3kMG6tS
/becdF9zShEnQZuO+f0IjDAXsD0vSrhn9WA6pQmlaKitIfUjpAsl7RJwnuo4+XXk
oyl748jinMFs0Rk7qF4owOq0D7Rs9p5uuexED2JI47qHNKrctzjvt9rmQM1g2xPK
WQYhCqSnVwxHLSIJtPMQRdext1gNAgMBAAECgYBWfmw19O7tV13U8jxJw0oN1lo4
GCH7KfsLyNppf3LAbSlcQbRNPe5LuIH52KmaQRU0qZEOKy5W1018WXrD56nDT/D7
vrq08fVWK22thYi6CObjEeTUC0bIax3Jf8frz1V93gYqZEy7e9q8XDTOoE4uYPNn
1OgsHz7wjegoZnxquQJBAPg3cwbAwFHUqH4+9HetiQfSk6JByswU0+aVVZqsarcb
AN7NLe6kgpVo6ZrpbBKH6cgvLH1VEFgiabh73YOI7m8CQQDeyLJk1IzYKsPhw3M1
q1u/CYIFYguTngoVN6iDZQmpKIJAId4NN6h1u7fS55+gOm+lme0XeiJwg2rq342Y
1p9DAkAXOXj1xMs53N/3EATnvcD4jmdp4yYKelhpVsevtTo277vhHOmTTqk5OZvB
9t05zqW9KUzMXU0uMeoabNyJFiLZAkAbhk5MGNqh5n63CO/WBKrcKm+O/LMTdOYo
Au1l9njAFoopJEYL+gFtMlkezJEzOaULn73kNanFnub5x871wCaDAkEAp6X9l6Q5
Z5t1ncp8xwbT0gVQ4475oqZWvDhG2Al55/bHmuEKUCKCqueCWXx9018oMKLGHtCo
jDhqhN8VHBq+gw==
-----END PRIVATE KEY-----`
const expiredCertificate = `-----BEGIN CERTIFICATE-----
MIIBpzCCARACAQMwDQYJKoZIhvcNAQELBQAwHDEaMBgGA1UEAwwRc25zLmFtYXpv
bmF3cy5jb20wHhcNMjAwMTAxMDAwMDAwWhcNMjEwMTAxMDAwMDAwWjAcMRowGAYD
VQQDDBFzbnMuYW1hem9uYXdzLmNvbTCBnzANBgkqhkiG9w0BAQEFAAOBjQAwgYkC
gYEA2AKuCgoneQwbq1L9t5x0X3NKESdBm475/QiMMBewPS9KuGf1YDqlCaVoqK0h
9SOkCyXtEnCe6jj5deSjKXvjyOKcwWzRGTuoXijA6rQPtGz2nm657EQPYkjjuoc0
qty3OO+32uZAzWDbE8pZBiEKpKdXDEctIgm08xBF17G3WA0CAwEAATANBgkqhkiG
9w0BAQsFAAOBgQCm3yWEsmywgGtf0zB6YTkzs+N702WfPsK9Stq29tweqrxwSzZi
FBGdvvhVlpOTWOgJbP+E7R0YceDehfCSuBfqRl8yX44odDovty0fz3sPxQbESDkl
ig+hPgZ1SyCBOdm5oEEd5oBHB98zi/Sghs9R+GQGeqf5bMJbzzd2No5xng==
-----END CERTIFICATE-----`

// aws/aws-sdk-java-v2 services-custom/sns-message-manager test resources, signed by AWS (PROVIDERS.md 3.3).
const awsCertificateUrl = "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-7506a1e35b36ef5a444dd1a8e7cc3ed8.pem"
const vectorTopic = "arn:aws:sns:us-west-2:131990247566:dongie-standard-topic"
const vectors = {
  "test-notification-with-subject.json": String.raw`{
  "Type" : "Notification",
  "MessageId" : "26858270-545e-5848-82a2-e05566af3dcf",
  "TopicArn" : "arn:aws:sns:us-west-2:131990247566:dongie-standard-topic",
  "Subject" : "My message subject",
  "Message" : "Hello! This message has a subject.",
  "Timestamp" : "2026-03-06T19:53:21.424Z",
  "SignatureVersion" : "1",
  "Signature" : "jvNSgHVOF9KUOKI3bmQZhURD0kDN6txhfjiyuvnV95Dw6b2SRa7nq3AhM8agP0KUCIrRgKHqUlN6K2XBA35Lzkx1eI5RT0oXIN00pvvzGxSz0ddnuSGmDJM7bd/b1vl2RlLjz+KvkhzEtspxLnxjLsGl2EpOmztt+um7owb4475sOLdGTx1QiFV/8HqB2J0DyjeWdRZvu7Xpsf1Yd2rgmijFoz8x89Vw8pIksjczr4q16pxdh/XKWjbN2uPoC+3EeYdljL8KUvLYH9ueHSs5E9qq2iLdze4+FtANnE73XRvvSGE0KI+FGOvz1igest6qon3g1/CVy4mq3n19TsCSmA==",
  "SigningCertURL" : "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-7506a1e35b36ef5a444dd1a8e7cc3ed8.pem",
  "UnsubscribeURL" : "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-west-2:131990247566:dongie-standard-topic:b24e11a2-06bd-4e73-aa29-0ed2de3b41b5"
}`,
  "test-notification-no-subject.json": String.raw`{
  "Type" : "Notification",
  "MessageId" : "c0e5a280-53c9-5a98-93bb-c0a560b3d192",
  "TopicArn" : "arn:aws:sns:us-west-2:131990247566:dongie-standard-topic",
  "Message" : "This notification has no subject.",
  "Timestamp" : "2026-03-06T19:55:38.903Z",
  "SignatureVersion" : "1",
  "Signature" : "h5/2kLNyPKvMH+ipOA1kueaA1GLFlcKbO/9o6GbH7BtKk/8lM8krPFDrV+Lwuq8yZDXTxeSXHR8pG1w9MkKQ3VlsHhMigy+5ejIsb+ZfpkDDO6dOACbkTg1twy9tLeKCyPfU01OokKTR6jlKJGCgXXDQm5Q1Fs4NfUz22xGqteycG1GIioqq2Hvd1PLsDkcoyUAhciugGFcZKIGjUbBtdhMTPFX1ed8iH+Y/p6o/eD0G2i614oRSXYRJyV2iNpl54LCCiCrAafAJAM5NXAJJq9CWyTjxHFC18FnPqSukW1/6Qa502oujhPJ/pyl+6mMBoF6LjnpbIyR8/Gmm+RY6fg==",
  "SigningCertURL" : "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-7506a1e35b36ef5a444dd1a8e7cc3ed8.pem",
  "UnsubscribeURL" : "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-west-2:131990247566:dongie-standard-topic:b24e11a2-06bd-4e73-aa29-0ed2de3b41b5"
}`,
  "test-notification-signature-v2.json": String.raw`{
  "Type" : "Notification",
  "MessageId" : "9d2c5580-b61d-550c-8583-37a582870907",
  "TopicArn" : "arn:aws:sns:us-west-2:131990247566:dongie-standard-topic",
  "Message" : "This message uses signature version 2.",
  "Timestamp" : "2026-03-06T20:00:26.893Z",
  "SignatureVersion" : "2",
  "Signature" : "kGNJ7FIM5DJxRv9bdoSJBty2WHpADFWrJ0ZQU/A2sALy6tBE5hqfUvPRlklTJ+PACFMguoFOO7W6ac/Bs4gR+JBRFhx4598X8/HWzrmaLrtB2f7nzViHbpzYN+u+OewXhxjj2lNsu0bLKv6fogkACytDIOhjZylbfJoPphDYAB7T3Ila7u+K3m2wLHH4k1cPYKyBf5FI/kAoQAVsY6qFHeb6CWfHsdM98I2gwyEvwJSzW0iyYBfqckmthQwH3Ex53jrhQlZylXFDYmstSJAdvbLeGqIUxKyk+O25wYgBjbbbeR+2qE2UCGEQrk1Bq018wmTxdHZmDhoBjJXiGmFkfg==",
  "SigningCertURL" : "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-7506a1e35b36ef5a444dd1a8e7cc3ed8.pem",
  "UnsubscribeURL" : "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-west-2:131990247566:dongie-standard-topic:b24e11a2-06bd-4e73-aa29-0ed2de3b41b5"
}`,
  "test-subscription-confirmation.json": String.raw`{
  "Type" : "SubscriptionConfirmation",
  "MessageId" : "f3f2fc87-c426-4c2f-9044-b55890c0939c",
  "Token" : "2336412f37fb687f5d51e6e2425929f52e8e353134fe72d55ef8b330217d82da14007cbccefffd35b695feb8f0294d01fd9644f41e1ddfad261519a2c0bac743ff375eeb64530147d2da57f3acc54739da14c8dbd48a9d58ce996eff0d498ea6b4b9f58720d8959b52b99b8de148081720d7da17434e376614a00c992e7823e4",
  "TopicArn" : "arn:aws:sns:us-west-2:131990247566:dongie-standard-topic",
  "Message" : "You have chosen to subscribe to the topic arn:aws:sns:us-west-2:131990247566:dongie-standard-topic.\nTo confirm the subscription, visit the SubscribeURL included in this message.",
  "SubscribeURL" : "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:131990247566:dongie-standard-topic&Token=2336412f37fb687f5d51e6e2425929f52e8e353134fe72d55ef8b330217d82da14007cbccefffd35b695feb8f0294d01fd9644f41e1ddfad261519a2c0bac743ff375eeb64530147d2da57f3acc54739da14c8dbd48a9d58ce996eff0d498ea6b4b9f58720d8959b52b99b8de148081720d7da17434e376614a00c992e7823e4",
  "Timestamp" : "2026-03-06T19:31:32.895Z",
  "SignatureVersion" : "1",
  "Signature" : "Ce2Ax8UbEq0RrVH7gsjP9WZ9bzif7dUkAY4OH99Pv7FSrvs8cK+uiH3a6ig54rXWUnZRUejk8K6KeK5Q80O9iJp8KbPRKdQ0PkJ3YASdabhfK0e7evC05YR2pFoS6nNaqNzT7HrR1d1Z9iLoFxluo2Dzb7kWVB7e9jp/y+ZBXRzRIaZgscM84kahBc6QgXOFJA1/PFA4cB5qaa6tBcUFtTE63o9vJ4wMmKk93W9MoszC+dNJeVFr8VHmt3toR+3JauBCZnGdgXgsDhni4PduSfWJJxEpuOK41iYf1hW+xFNFFsv46siTFiHdHiYDfI7/VlaY4spMgkq3EndRr7rHzQ==",
  "SigningCertURL" : "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-7506a1e35b36ef5a444dd1a8e7cc3ed8.pem"
}`,
  "test-unsubscribe-confirmation.json": String.raw`{
  "Type" : "UnsubscribeConfirmation",
  "MessageId" : "0b71e34e-42c3-486a-9e32-b1928ec994b5",
  "Token" : "2336412f37fb687f5d51e6e2425929f52e8e353134fd0284eae5672847af082a982c7dd18215a1485e04e559716f8b42054594757f42dee2d63c46fd3a0fa59b4d688de03db956f8bf9f8cb3167587a28b74c5d325e6a7594d24a43ac534de2dfca614ca89cebd490342c721c30a76ea03def13673437a6a3e450642580119d0",
  "TopicArn" : "arn:aws:sns:us-west-2:131990247566:dongie-standard-topic",
  "Message" : "You have chosen to deactivate subscription arn:aws:sns:us-west-2:131990247566:dongie-standard-topic:b24e11a2-06bd-4e73-aa29-0ed2de3b41b5.\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message.",
  "SubscribeURL" : "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:131990247566:dongie-standard-topic&Token=2336412f37fb687f5d51e6e2425929f52e8e353134fd0284eae5672847af082a982c7dd18215a1485e04e559716f8b42054594757f42dee2d63c46fd3a0fa59b4d688de03db956f8bf9f8cb3167587a28b74c5d325e6a7594d24a43ac534de2dfca614ca89cebd490342c721c30a76ea03def13673437a6a3e450642580119d0",
  "Timestamp" : "2026-03-06T20:02:25.038Z",
  "SignatureVersion" : "2",
  "Signature" : "RLW/cGWZAdY96iEcvXGmAZQ851DUyWehJIUMHT3Qa0/kX7Wu2QimI44TfE8d9hTqyYFreA6ln4AS67m225DuySpBeiUBtzB/ibiU7jdZmfSiT/I/RTEU3eD0lHHZIYW0M7HAlhHyaSXdcSAbtfnhMBMION93IVl6UOR4kWYdJaJ17/u3by3zlSRs8wCIpj06S6BzuzxrINZPJl+NKZYCVdMlrjuT4etX/UfZkC0Tjchpmu/CQcuimAgswlesm8cVue0WqNPXkOr8h7HmsiGVXPN1jjkYKf2/tVJyBxur/lSksMopER8wtAIsrqY1caAZSI8YJkIndg/b+7eCwkjTBA==",
  "SigningCertURL" : "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-7506a1e35b36ef5a444dd1a8e7cc3ed8.pem"
}`
} as const

const bytes = (text: string) => new TextEncoder().encode(text)

/** Inside the vectors' hour and the AWS certificate's validity, which ended on 2026-10-14. */
const vectorTime = "2026-03-06T20:05:00Z"

const request = (body: string, receivedAt: string = vectorTime): WebhookRequest => ({
  rawBody: bytes(body),
  headers: { "content-type": "text/plain; charset=UTF-8" },
  url: "https://sendtrail.example/connect/webhook/ses",
  receivedAt: DateTime.unsafeMake(receivedAt)
})

const testKey = generateKeyPairSync("rsa", { modulusLength: 2048 })
const testCertificateUrl = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem"
const expiredCertificateUrl = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-expired.pem"
const topic = "arn:aws:sns:us-east-1:123456789012:ses-events"
const secrets: Secrets = { topicArns: [topic, vectorTopic] }

const confirmed: Array<string> = []
const sns = testLayer(
  {
    [awsCertificateUrl]: awsCertificate,
    [testCertificateUrl]: testKey.publicKey.export({ type: "spki", format: "pem" }).toString(),
    [expiredCertificateUrl]: expiredCertificate
  },
  (url) => confirmed.push(url)
)

const snsMessageId = "5f1c7e0a-3f7c-5d0e-9a4b-1c2d3e4f5a6b"

/** An SNS envelope signed the way SNS signs, with a generated key the test layer serves. */
const signed = (fields: Partial<Envelope> & { readonly Message: string }, key: KeyObject | string = testKey.privateKey) => {
  const envelope: Envelope = {
    Type: "Notification",
    MessageId: snsMessageId,
    TopicArn: topic,
    Timestamp: "2026-03-06T20:00:00.000Z",
    SignatureVersion: "2",
    SigningCertURL: testCertificateUrl,
    ...fields
  }
  const algorithm = envelope.SignatureVersion === "1" ? "sha1" : "sha256"
  return JSON.stringify({ ...envelope, Signature: rsaSign(algorithm, Buffer.from(stringToSign(envelope)), key).toString("base64") })
}
const notification = (message: unknown, fields: Partial<Envelope> = {}) => signed({ Message: JSON.stringify(message), ...fields })

const verifiedWith = (given: Secrets | undefined, body: string, at: string = vectorTime) => Effect.provide(verify(given, request(body, at)), sns)
const verified = (body: string, at: string = vectorTime) => verifiedWith(secrets, body, at)
const rejectedWith = (body: string, at: string = vectorTime, given: Secrets | undefined = secrets) =>
  verifiedWith(given, body, at).pipe(Effect.flip, Effect.map((error) => error.check))
const edited = (body: string, edit: (json: Record<string, unknown>) => void) => {
  const json: Record<string, unknown> = JSON.parse(body)
  edit(json)
  return JSON.stringify(json)
}

describe("SNS signatures", () => {
  for (const [name, body] of Object.entries(vectors)) {
    it.effect(`AWS's signed vector ${name} verifies`, () => verifiedWith({ topicArns: [vectorTopic] }, body))
  }

  it.effect("the string to sign is AWS's documented example, a newline after every value", () =>
    Effect.sync(() => {
      const envelope: Envelope = {
        Type: "Notification",
        MessageId: "4d4dc071-ddbf-465d-bba8-08f81c89da64",
        TopicArn: "arn:aws:sns:us-east-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P",
        Subject: "My subject",
        Message: "My Test Message",
        Timestamp: "2019-01-31T04:37:04.321Z",
        SignatureVersion: "1",
        Signature: "ignored",
        SigningCertURL: "https://sns.us-east-2.amazonaws.com/x.pem",
        Token: "not signed in a notification"
      }
      expect(stringToSign(envelope)).toBe(
        "Message\nMy Test Message\nMessageId\n4d4dc071-ddbf-465d-bba8-08f81c89da64\nSubject\nMy subject\nTimestamp\n2019-01-31T04:37:04.321Z\n" +
          "TopicArn\narn:aws:sns:us-east-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P\nType\nNotification\n"
      )
    })
  )

  it.effect("a changed Message, Subject, MessageId or Timestamp fails with signature-mismatch", () =>
    Effect.gen(function* () {
      const body = vectors["test-notification-with-subject.json"]
      const edits: ReadonlyArray<(json: Record<string, unknown>) => void> = [
        (json) => { json.Message = "Hello! This message has a subject!" },
        (json) => { json.Subject = "Another subject" },
        (json) => { delete json.Subject },
        (json) => { json.MessageId = "26858270-545e-5848-82a2-e05566af3dce" },
        (json) => { json.Timestamp = "2026-03-06T19:53:21.425Z" },
        (json) => { json.SignatureVersion = "2" }
      ]
      for (const edit of edits) expect(yield* rejectedWith(edited(body, edit))).toBe("signature-mismatch")
    })
  )

  it.effect("an unsubscribe confirmation is checked with Token in the string, which a Notification's key list lacks", () =>
    Effect.gen(function* () {
      const body = vectors["test-unsubscribe-confirmation.json"]
      expect(yield* rejectedWith(edited(body, (json) => { json.Token = `${String(json.Token)}0` }))).toBe("signature-mismatch")
      expect(yield* rejectedWith(edited(body, (json) => { json.Type = "Notification" }))).toBe("signature-mismatch")
    })
  )

  it.effect("a signature made with another key fails with signature-mismatch", () =>
    Effect.gen(function* () {
      const forged = signed({ Message: "{}", TopicArn: vectorTopic, SigningCertURL: awsCertificateUrl })
      expect(yield* rejectedWith(forged)).toBe("signature-mismatch")
    })
  )

  it.effect("a topic not in topicArns is refused before anything is fetched", () =>
    Effect.gen(function* () {
      const body = vectors["test-notification-no-subject.json"]
      expect(yield* rejectedWith(body, vectorTime, { topicArns: [topic] })).toBe("topic-not-allowed")
      const confirmation = edited(vectors["test-subscription-confirmation.json"], (json) => { json.SigningCertURL = "https://attacker.example/x.pem" })
      expect(yield* rejectedWith(confirmation, vectorTime, { topicArns: [topic] })).toBe("topic-not-allowed")
    })
  )

  it.effect("without topic ARNs nothing verifies: missing-secret names SES_TOPIC_ARNS", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(verifiedWith(undefined, vectors["test-notification-no-subject.json"]))
      expect(error.check).toBe("missing-secret")
      expect(error.message).toContain("SES_TOPIC_ARNS")
    })
  )

  it.effect("a Timestamp more than 75 minutes old, or 15 minutes ahead, is outside the window", () =>
    Effect.gen(function* () {
      const body = vectors["test-notification-signature-v2.json"]
      yield* verified(body, "2026-03-06T21:15:00Z")
      expect(yield* rejectedWith(body, "2026-03-06T21:16:00Z")).toBe("timestamp-out-of-window")
      yield* verified(body, "2026-03-06T19:46:00Z")
      expect(yield* rejectedWith(body, "2026-03-06T19:45:00Z")).toBe("timestamp-out-of-window")
    })
  )

  it.effect("a certificate URL off the SNS endpoints is refused without fetching it", () =>
    Effect.gen(function* () {
      const urls = [
        "http://sns.us-west-2.amazonaws.com/SimpleNotificationService-7506a1e35b36ef5a444dd1a8e7cc3ed8.pem",
        "https://sns.us-west-2.amazonaws.com.attacker.example/cert.pem",
        "https://sns.us-west-2.amazonaws.com@attacker.example/cert.pem",
        "https://user@sns.us-west-2.amazonaws.com/cert.pem",
        "https://s3.amazonaws.com/bucket/cert.pem",
        "https://sns.us-west-2.amazonaws.com/cert.txt",
        "https://sns.us-west-2.amazonaws.com/cert.pem?x=1",
        ""
      ]
      for (const url of urls) {
        const body = edited(vectors["test-notification-no-subject.json"], (json) => { json.SigningCertURL = url })
        expect(yield* rejectedWith(body)).toBe("certificate-url-not-allowed")
      }
    })
  )

  it.effect("SNS_CERT_URL_PATTERN can admit another certificate host", () =>
    Effect.gen(function* () {
      const url = "https://certs.test/sns.pem"
      const body = signed({ Message: "{}", SigningCertURL: url })
      const served = testLayer({ [url]: testKey.publicKey.export({ type: "spki", format: "pem" }).toString() })
      const pattern = ConfigProvider.fromMap(new Map([["SNS_CERT_URL_PATTERN", String.raw`https://certs\.test/.+\.pem`]]))
      yield* verify(secrets, request(body)).pipe(Effect.provide(served), Effect.withConfigProvider(pattern))
      const refused = yield* verify(secrets, request(body)).pipe(Effect.provide(served), Effect.flip)
      expect(refused.check).toBe("certificate-url-not-allowed")
    })
  )

  it.effect("a certificate that cannot be had is certificate-unavailable, one out of its dates certificate-expired", () =>
    Effect.gen(function* () {
      const missing = signed({ Message: "{}", SigningCertURL: "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-gone.pem" })
      expect(yield* rejectedWith(missing)).toBe("certificate-unavailable")
      const expired = signed({ Message: "{}", SigningCertURL: expiredCertificateUrl }, expiredKey)
      expect(yield* rejectedWith(expired)).toBe("certificate-expired")
    })
  )

  it.effect("a missing, unversioned or non-base64 signature is rejected for what it is", () =>
    Effect.gen(function* () {
      const body = vectors["test-notification-signature-v2.json"]
      expect(yield* rejectedWith(edited(body, (json) => { delete json.Signature }))).toBe("missing-signature")
      expect(yield* rejectedWith(edited(body, (json) => { json.Signature = "" }))).toBe("missing-signature")
      expect(yield* rejectedWith(edited(body, (json) => { json.SignatureVersion = "3" }))).toBe("malformed-signature")
      expect(yield* rejectedWith(edited(body, (json) => { delete json.SignatureVersion }))).toBe("malformed-signature")
      expect(yield* rejectedWith(edited(body, (json) => { json.Signature = "not base64!" }))).toBe("malformed-signature")
    })
  )

  it.effect("a body that is no SNS envelope is malformed-envelope", () =>
    Effect.gen(function* () {
      for (const body of ["", "not json", "[]", "{}", JSON.stringify({ Type: "Notification" })]) {
        expect(yield* rejectedWith(body)).toBe("malformed-envelope")
      }
      const noToken = edited(vectors["test-subscription-confirmation.json"], (json) => { delete json.Token })
      expect(yield* rejectedWith(noToken)).toBe("malformed-envelope")
    })
  )

  it.prop("any bytes either verify or are a SignatureRejected, never a defect", [fc.uint8Array()], ([raw]) => {
    const exit = Effect.runSyncExit(Effect.provide(verify(secrets, { ...request(""), rawBody: raw }), sns))
    if (Exit.isFailure(exit)) expect(Cause.failureOption(exit.cause).pipe(Option.getOrUndefined)).toBeInstanceOf(SignatureRejected)
  })
})

describe("SNS subscriptions", () => {
  it.effect("a verified SubscriptionConfirmation is confirmed by visiting its SubscribeURL", () =>
    Effect.gen(function* () {
      const body = vectors["test-subscription-confirmation.json"]
      yield* verified(body)
      confirmed.length = 0
      const outcome = yield* subscription(request(body)).pipe(Effect.provide(sns))
      expect(outcome).toEqual({ kind: "confirmed", topicArn: vectorTopic })
      expect(confirmed).toEqual([JSON.parse(body).SubscribeURL])
    })
  )

  it.effect("an UnsubscribeConfirmation is only logged, and a Notification is no control message", () =>
    Effect.gen(function* () {
      confirmed.length = 0
      const unsubscribed = yield* subscription(request(vectors["test-unsubscribe-confirmation.json"])).pipe(Effect.provide(sns))
      const notified = yield* subscription(request(vectors["test-notification-no-subject.json"])).pipe(Effect.provide(sns))
      expect([unsubscribed.kind, notified.kind]).toEqual(["unsubscribe-logged", "not-a-control-message"])
      expect(confirmed).toEqual([])
    })
  )

  it.effect("a SubscribeURL off the SNS endpoints is never visited", () =>
    Effect.gen(function* () {
      confirmed.length = 0
      for (const url of ["https://attacker.example/?Action=ConfirmSubscription", "http://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription"]) {
        const body = signed({ Type: "SubscriptionConfirmation", Message: "confirm", SubscribeURL: url, Token: "t" })
        yield* verified(body)
        const error = yield* Effect.flip(subscription(request(body)).pipe(Effect.provide(sns)))
        expect(error.check).toBe("subscribe-url-not-allowed")
      }
      expect(confirmed).toEqual([])
    })
  )
})

const sesMessageId = "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000"

/** The `mail` object of AWS's event-publishing examples (notification-contents, event-publishing-retrieving-sns-examples). */
const mail = (overrides: Record<string, unknown> = {}) => ({
  timestamp: "2017-08-05T00:40:02.012Z",
  source: "Sender Name <sender@example.com>",
  sourceArn: "arn:aws:ses:us-east-1:123456789012:identity/sender@example.com",
  sendingAccountId: "123456789012",
  messageId: sesMessageId,
  destination: ["recipient@example.com"],
  headersTruncated: false,
  headers: [{ name: "From", value: "Sender Name <sender@example.com>" }, { name: "To", value: "recipient@example.com" }],
  commonHeaders: { from: ["Sender Name <sender@example.com>"], to: ["recipient@example.com"], messageId: sesMessageId, subject: "Message sent from Amazon SES" },
  tags: { "ses:configuration-set": ["ConfigSet"], "ses:source-ip": ["192.0.2.0"], "ses:from-domain": ["example.com"], "ses:caller-identity": ["ses_user"] },
  ...overrides
})

const bounce = (overrides: Record<string, unknown> = {}) => ({
  eventType: "Bounce",
  bounce: {
    bounceType: "Permanent",
    bounceSubType: "General",
    bouncedRecipients: [{ emailAddress: "recipient@example.com", action: "failed", status: "5.1.1", diagnosticCode: "smtp; 550 5.1.1 user unknown" }],
    timestamp: "2017-08-05T00:41:02.669Z",
    feedbackId: "01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000",
    reportingMTA: "dsn; mta.example.com",
    ...overrides
  },
  mail: mail()
})

/** Verifies a signed notification carrying `message`, then decodes it for org-1. */
const events = (message: unknown, fields: Partial<Envelope> = {}) =>
  Effect.gen(function* () {
    const body = typeof message === "string" ? signed({ Message: message, ...fields }) : notification(message, fields)
    yield* verified(body)
    return yield* decode(request(body), "org-1")
  })
const one = (message: unknown) =>
  Effect.map(events(message), (list) => {
    expect(list).toHaveLength(1)
    return list[0]!
  })
const at = (iso: string) => DateTime.unsafeMake(iso)
const summary = (event: NormalizedEvent) => [event.type, event.recipient, DateTime.formatIso(event.occurredAt), event.details]
const payloadRejection = (message: unknown) =>
  Effect.flip(decode(request(typeof message === "string" ? signed({ Message: message }) : notification(message)), "org-1"))

describe("SES notifications", () => {
  it.effect("a permanent bounce (AWS's example) is a hard bounce keyed by SNS MessageId and recipient", () =>
    Effect.gen(function* () {
      const event = yield* one(bounce())
      expect(event).toEqual({
        orgId: "org-1",
        provider: "ses",
        providerEventId: `${snsMessageId}:recipient@example.com`,
        providerEventName: "Bounce",
        providerMessageId: sesMessageId,
        recipient: "recipient@example.com",
        channel: "email",
        type: "bounced",
        occurredAt: at("2017-08-05T00:41:02.669Z"),
        details: { bounceKind: "hard", enhancedStatus: "5.1.1", reason: "smtp; 550 5.1.1 user unknown" }
      })
    })
  )

  it.effect("each bounced recipient becomes its own event with its own key", () =>
    Effect.gen(function* () {
      const list = yield* events(bounce({
        bouncedRecipients: [
          { emailAddress: "a@example.com", status: "5.1.1", diagnosticCode: "smtp; 550 5.1.1 user unknown" },
          { emailAddress: "B@Example.com", status: "5.2.1", diagnosticCode: "smtp; 550 5.2.1 mailbox disabled" }
        ]
      }))
      expect(list.map((e) => [e.providerEventId, e.recipient, e.details.enhancedStatus])).toEqual([
        [`${snsMessageId}:a@example.com`, "a@example.com", "5.1.1"],
        [`${snsMessageId}:b@example.com`, "b@example.com", "5.2.1"]
      ])
    })
  )

  it.effect("transient and undetermined bounces are soft bounces; a suppressed address is hard", () =>
    Effect.gen(function* () {
      const transient = yield* one(bounce({
        bounceType: "Transient",
        bounceSubType: "MailboxFull",
        bouncedRecipients: [{ emailAddress: "recipient@example.com", status: "4.2.2", diagnosticCode: "smtp; 452 4.2.2 mailbox full" }]
      }))
      const undetermined = yield* one(bounce({ bounceType: "Undetermined", bounceSubType: "Undetermined", bouncedRecipients: [{ emailAddress: "recipient@example.com" }] }))
      const suppressed = yield* one(bounce({ bounceSubType: "Suppressed", bouncedRecipients: [{ emailAddress: "recipient@example.com" }] }))
      expect([transient, undetermined, suppressed].map((e) => [e.type, e.details])).toEqual([
        ["soft_bounced", { bounceKind: "soft", enhancedStatus: "4.2.2", reason: "smtp; 452 4.2.2 mailbox full" }],
        ["soft_bounced", { bounceKind: "soft", reason: "Undetermined/Undetermined bounce" }],
        ["bounced", { bounceKind: "hard", reason: "Permanent/Suppressed bounce" }]
      ])
    })
  )

  it.effect("a complaint is complained at the complaint's time, with its feedback type", () =>
    Effect.gen(function* () {
      const event = yield* one({
        eventType: "Complaint",
        complaint: {
          complainedRecipients: [{ emailAddress: "recipient@example.com" }],
          timestamp: "2017-08-05T00:41:02.669Z",
          feedbackId: "01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000",
          userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
          complaintFeedbackType: "abuse",
          arrivalDate: "2017-08-05T00:41:02.669Z"
        },
        mail: mail()
      })
      expect(summary(event)).toEqual(["complained", "recipient@example.com", "2017-08-05T00:41:02.669Z", { reason: "abuse" }])
    })
  )

  it.effect("a delivery is delivered for every recipient at the delivery's time", () =>
    Effect.gen(function* () {
      const list = yield* events({
        eventType: "Delivery",
        mail: mail({ timestamp: "2016-10-19T23:20:52.240Z", destination: ["one@example.com", "two@example.com"] }),
        delivery: {
          timestamp: "2016-10-19T23:21:04.133Z",
          processingTimeMillis: 11893,
          recipients: ["one@example.com", "two@example.com"],
          smtpResponse: "250 2.6.0 Message received",
          reportingMTA: "mta.example.com"
        }
      })
      expect(list.map(summary)).toEqual([
        ["delivered", "one@example.com", "2016-10-19T23:21:04.133Z", {}],
        ["delivered", "two@example.com", "2016-10-19T23:21:04.133Z", {}]
      ])
    })
  )

  it.effect("a send is sent for each destination at the mail's time", () =>
    Effect.gen(function* () {
      const event = yield* one({ eventType: "Send", mail: mail({ timestamp: "2016-10-14T05:02:16.645Z" }), send: {} })
      expect(summary(event)).toEqual(["sent", "recipient@example.com", "2016-10-14T05:02:16.645Z", {}])
    })
  )

  it.effect("a reject and a rendering failure are failed, with SES's reason", () =>
    Effect.gen(function* () {
      const rejected = yield* one({ eventType: "Reject", mail: mail({ timestamp: "2016-10-14T17:38:15.211Z" }), reject: { reason: "Bad content" } })
      const unrendered = yield* one({
        eventType: "Rendering Failure",
        mail: mail({ timestamp: "2018-01-22T18:43:06.197Z" }),
        failure: { errorMessage: "Attribute 'attributeName' is not present in the rendering data.", templateName: "MyTemplate" }
      })
      expect([summary(rejected), summary(unrendered)]).toEqual([
        ["failed", "recipient@example.com", "2016-10-14T17:38:15.211Z", { reason: "rejected by SES: Bad content" }],
        ["failed", "recipient@example.com", "2018-01-22T18:43:06.197Z", { reason: "Attribute 'attributeName' is not present in the rendering data. (template MyTemplate)" }]
      ])
      expect(unrendered.providerEventName).toBe("Rendering Failure")
    })
  )

  it.effect("a delivery delay is deferred per delayed recipient with its enhanced status", () =>
    Effect.gen(function* () {
      const event = yield* one({
        eventType: "DeliveryDelay",
        mail: mail({ timestamp: "2020-06-16T00:15:40.641Z" }),
        deliveryDelay: {
          timestamp: "2020-06-16T00:25:40.095Z",
          delayType: "TransientCommunicationFailure",
          expirationTime: "2020-06-16T00:25:40.914Z",
          delayedRecipients: [{ emailAddress: "recipient@example.com", status: "4.4.1", diagnosticCode: "smtp; 421 4.4.1 Unable to connect to remote host" }]
        }
      })
      expect(summary(event)).toEqual([
        "deferred",
        "recipient@example.com",
        "2020-06-16T00:25:40.095Z",
        { enhancedStatus: "4.4.1", reason: "smtp; 421 4.4.1 Unable to connect to remote host" }
      ])
    })
  )

  it.effect("an open is opened with its address and agent; an image proxy's open is flagged machine", () =>
    Effect.gen(function* () {
      const open = (userAgent: string) => ({
        eventType: "Open",
        mail: mail({ timestamp: "2017-08-09T21:59:49.927Z" }),
        open: { ipAddress: "192.0.2.1", timestamp: "2017-08-09T22:00:19.652Z", userAgent }
      })
      const iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 10_3_3 like Mac OS X) AppleWebKit/603.3.8 (KHTML, like Gecko) Mobile/14G60"
      const person = yield* one(open(iphone))
      const proxy = yield* one(open("Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"))
      expect(summary(person)).toEqual(["opened", "recipient@example.com", "2017-08-09T22:00:19.652Z", { ip: "192.0.2.1", userAgent: iphone }])
      expect(proxy.details.machine).toBe(true)
    })
  )

  it.effect("a click is clicked with its link", () =>
    Effect.gen(function* () {
      const event = yield* one({
        eventType: "Click",
        click: {
          ipAddress: "192.0.2.1",
          link: "http://docs.aws.amazon.com/ses/latest/DeveloperGuide/send-email-smtp.html",
          linkTags: { samplekey0: ["samplevalue0"] },
          timestamp: "2017-08-09T23:51:25.570Z",
          userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/60.0.3112.90 Safari/537.36"
        },
        mail: mail({ timestamp: "2017-08-09T23:50:05.795Z" })
      })
      expect(event.type).toBe("clicked")
      expect(event.details).toMatchObject({ url: "http://docs.aws.amazon.com/ses/latest/DeveloperGuide/send-email-smtp.html", ip: "192.0.2.1" })
      expect(event.details.machine).toBeUndefined()
    })
  )

  it.effect("a subscription event that opts out is unsubscribed; one that only opts in is no event", () =>
    Effect.gen(function* () {
      const change = (newTopicPreferences: unknown, oldTopicPreferences: unknown) => ({
        eventType: "Subscription",
        mail: mail({ timestamp: "2022-01-11T16:31:21.123Z" }),
        subscription: { contactList: "ContactListName", timestamp: "2022-01-12T01:00:17.910Z", source: "UnsubscribeHeader", newTopicPreferences, oldTopicPreferences }
      })
      const optOut = (topicName: string) => ({ topicName, subscriptionStatus: "OptOut" })
      const optIn = (topicName: string) => ({ topicName, subscriptionStatus: "OptIn" })
      const all = yield* one(change({ unsubscribeAll: true, topicSubscriptionStatus: [optOut("ExampleTopicName")] }, { unsubscribeAll: false, topicSubscriptionStatus: [optOut("ExampleTopicName")] }))
      const topic = yield* one(change({ topicSubscriptionStatus: [optOut("News"), optOut("Old")] }, { topicSubscriptionStatus: [optIn("News"), optOut("Old")] }))
      const optedIn = yield* events(change({ topicSubscriptionStatus: [optIn("News"), optOut("Old")] }, { topicSubscriptionStatus: [optOut("News"), optOut("Old")] }))
      expect(summary(all)).toEqual([
        "unsubscribed",
        "recipient@example.com",
        "2022-01-12T01:00:17.910Z",
        { reason: "unsubscribed from all topics of contact list ContactListName via UnsubscribeHeader" }
      ])
      expect(topic.details.reason).toBe("opted out of News of contact list ContactListName via UnsubscribeHeader")
      expect(optedIn).toEqual([])
    })
  )

  it.effect("the older identity notification format (notificationType) decodes the same, its zone written +0000", () =>
    Effect.gen(function* () {
      const event = yield* one({
        notificationType: "Bounce",
        bounce: {
          bounceType: "Permanent",
          bounceSubType: "General",
          bouncedRecipients: [{ emailAddress: "Recipient <recipient@example.com>", status: "5.0.0", diagnosticCode: "smtp; 5.1.0 - Unknown address error 550" }],
          timestamp: "2018-10-08T14:05:46 +0000"
        },
        mail: { timestamp: "2018-10-08T14:05:45 +0000", messageId: sesMessageId, source: "sender@example.com", destination: ["recipient@example.com"] }
      })
      expect(summary(event)).toEqual([
        "bounced",
        "recipient@example.com",
        "2018-10-08T14:05:46.000Z",
        { bounceKind: "hard", enhancedStatus: "5.0.0", reason: "smtp; 5.1.0 - Unknown address error 550" }
      ])
      expect(event.broadcastId).toBeUndefined()
    })
  )

  it.effect("message tags named broadcastId, contactId and senderAccountId are carried onto the event", () =>
    Effect.gen(function* () {
      const tagged = bounce()
      const event = yield* one({
        ...tagged,
        mail: mail({ tags: { ...tagged.mail.tags, broadcastId: ["bc_42"], contactId: ["ct_7"], senderAccountId: ["acct_1"] } })
      })
      expect([event.broadcastId, event.contactId, event.senderAccountId]).toEqual(["bc_42", "ct_7", "acct_1"])
    })
  )

  it.effect("an SNS retry of the same message yields the same keys; another message other keys", () =>
    Effect.gen(function* () {
      const first = yield* events(bounce())
      const retry = yield* events(bounce())
      const other = yield* events(bounce(), { MessageId: "0b0b0b0b-0000-5000-8000-000000000000" })
      expect(retry.map((e) => e.providerEventId)).toEqual(first.map((e) => e.providerEventId))
      expect(other[0]?.providerEventId).not.toBe(first[0]?.providerEventId)
    })
  )

  it.effect("confirmations and SES's own set-up messages carry no events", () =>
    Effect.gen(function* () {
      expect(yield* decode(request(vectors["test-subscription-confirmation.json"]), "org-1")).toEqual([])
      expect(yield* decode(request(vectors["test-unsubscribe-confirmation.json"]), "org-1")).toEqual([])
      const succeeded = { notificationType: "AmazonSnsSubscriptionSucceeded", message: "You have successfully subscribed your Amazon SNS topic" }
      expect(yield* events(succeeded)).toEqual([])
      expect(yield* events("Successfully validated SNS topic for Amazon SES event publishing.")).toEqual([])
    })
  )

  it.effect("a verified message that is not an SES notification is rejected naming the field", () =>
    Effect.gen(function* () {
      const cases: ReadonlyArray<readonly [unknown, string]> = [
        ["Hello! This message has a subject.", "Message"],
        [[1, 2], "Message"],
        [{ ...bounce(), eventType: "Received" }, "Message.eventType"],
        [{ mail: mail() }, "Message.eventType"],
        [{ ...bounce(), mail: mail({ messageId: undefined }) }, "Message.mail.messageId"],
        [bounce({ bouncedRecipients: [] }), "Message.bounce.bouncedRecipients[0]"],
        [bounce({ timestamp: "yesterday" }), "Message.bounce.timestamp"],
        [bounce({ bouncedRecipients: [{ emailAddress: "<>" }] }), "Message"],
        [{ eventType: "Send", mail: mail({ destination: [] }) }, "Message.mail.destination[0]"],
        [{ eventType: "Open", mail: mail() }, "Message.open"]
      ]
      for (const [message, path] of cases) {
        const error = yield* payloadRejection(message)
        expect(error).toBeInstanceOf(PayloadRejected)
        expect(error.path).toBe(path)
        expect(error.message).toContain(path)
      }
      expect((yield* Effect.flip(decode(request("{"), "org-1"))).path).toBe("")
      expect((yield* Effect.flip(decode(request(JSON.stringify({ MessageId: "m", Message: "{}" })), "org-1"))).path).toBe("Type")
    })
  )

  it.prop("any bytes given to decode end in events or a PayloadRejected, never a defect", [fc.uint8Array()], ([raw]) => {
    const exit = Effect.runSyncExit(decode({ ...request(""), rawBody: raw }, "org-1"))
    if (Exit.isFailure(exit)) expect(Cause.failureOption(exit.cause).pipe(Option.getOrUndefined)).toBeInstanceOf(PayloadRejected)
  })

  it.prop("any JSON inside a Notification ends in events or a PayloadRejected, never a defect", [fc.oneof(fc.json(), fc.jsonValue().map((value) => JSON.stringify({ eventType: "Bounce", mail: value, bounce: value })))], ([message]) => {
    const body = JSON.stringify({ Type: "Notification", MessageId: "m-1", Message: message })
    const exit = Effect.runSyncExit(decode(request(body), "org-1"))
    if (Exit.isFailure(exit)) expect(Cause.failureOption(exit.cause).pipe(Option.getOrUndefined)).toBeInstanceOf(PayloadRejected)
  })
})

describe("SES configuration", () => {
  it.effect("the live SNS client refuses URLs off the SNS endpoints before any request", () =>
    Effect.gen(function* () {
      const client = yield* SnsClient
      const certificate = yield* Effect.flip(client.certificate("http://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem"))
      const confirmation = yield* Effect.flip(client.confirm("https://attacker.example/?Action=ConfirmSubscription"))
      expect([certificate.reason, confirmation.reason]).toEqual(["url-not-allowed", "url-not-allowed"])
    }).pipe(Effect.provide(SnsClient.Default))
  )

  it.effect("an SNS_CERT_URL_PATTERN that is no regular expression fails the live client at start", () =>
    Effect.gen(function* () {
      const invalid = ConfigProvider.fromMap(new Map([["SNS_CERT_URL_PATTERN", "https://(unclosed"]]))
      const exit = yield* Effect.exit(Effect.provide(SnsClient, SnsClient.Default).pipe(Effect.withConfigProvider(invalid)))
      expect(Exit.isFailure(exit)).toBe(true)
    })
  )

  const read = (env: Record<string, string>) => Effect.withConfigProvider(envSecrets, ConfigProvider.fromMap(new Map(Object.entries(env))))

  it.effect("SES_TOPIC_ARNS is a comma list; unset or blank means no secrets", () =>
    Effect.gen(function* () {
      expect(yield* read({})).toEqual(Option.none())
      expect(yield* read({ SES_TOPIC_ARNS: " , " })).toEqual(Option.none())
      expect(yield* read({ SES_TOPIC_ARNS: ` ${topic} ,${vectorTopic}` })).toEqual(Option.some({ topicArns: [topic, vectorTopic] }))
    })
  )

  it.effect("a value that is no topic ARN fails at start rather than admitting nothing silently", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(read({ SES_TOPIC_ARNS: "ses-events" }))
      expect(Exit.isFailure(exit)).toBe(true)
    })
  )
})
