import { HttpApiBuilder } from "@effect/platform"
import { Api } from "./Api.js"

export const ContactsLive = HttpApiBuilder.group(Api, "contacts", (handlers) => handlers)
