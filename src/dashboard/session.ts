// The credentials the user typed, kept for this tab only (sessionStorage: gone when the tab closes,
// never in a URL, a cookie or a log) and sent as headers by client.ts.

export interface OrgCredentials {
  readonly orgId: string
  readonly token: string
}

const orgKey = "sendtrail.org"
const adminKey = "sendtrail.admin"

export const orgCredentials = (): OrgCredentials | undefined => {
  const stored = sessionStorage.getItem(orgKey)
  if (stored === null) return undefined
  const [orgId = "", token = ""] = stored.split("\n")
  return orgId === "" || token === "" ? undefined : { orgId, token }
}

export const adminCredentials = (): string | undefined => sessionStorage.getItem(adminKey) ?? undefined

export const signInOrg = (credentials: OrgCredentials) => sessionStorage.setItem(orgKey, `${credentials.orgId}\n${credentials.token}`)

export const signInAdmin = (key: string) => sessionStorage.setItem(adminKey, key)

export const signOut = () => {
  sessionStorage.removeItem(orgKey)
  sessionStorage.removeItem(adminKey)
}
