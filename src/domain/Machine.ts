/**
 * Opens and clicks that no person made: mail privacy proxies fetch every image on arrival, and
 * security gateways follow every link to scan it. They still count in totals, flagged `machine`.
 */
const machineAgents: ReadonlyArray<RegExp> = [
  /GoogleImageProxy/i, // Gmail's image proxy (ggpht.com)
  /YahooMailProxy/i,
  /Apple.*(Mail\s*Privacy|PrivacyProxy)/i,
  /^Mozilla\/5\.0$/, // Apple Mail Privacy Protection fetches with this bare agent
  /Barracuda/i,
  /Mimecast/i,
  /Proofpoint/i,
  /ppops-/i, // Proofpoint URL defense
  /Symantec|Broadcom.*(Email|Messaging)/i,
  /Trend\s?Micro/i,
  /Sophos/i,
  /FireEye|Trellix/i,
  /Microsoft\s?Office\s?Protocol\s?Discovery|Safe\s?Links|Defender\s?for\s?Office/i,
  /Cisco.*(IronPort|Secure Email)/i,
  /bot\b|crawler|spider|scanner|HeadlessChrome|python-requests|curl\//i
]

export const isMachineUserAgent = (userAgent: string | undefined): boolean =>
  userAgent !== undefined && machineAgents.some((pattern) => pattern.test(userAgent))

/** RFC 3463 class 7 ("security or policy status"): the sender was refused, not the address. */
export const isPolicyRejection = (enhancedStatus: string | undefined): boolean =>
  enhancedStatus !== undefined && /^[45]\.7\.\d{1,3}$/.test(enhancedStatus.trim())
