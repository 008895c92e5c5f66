import { HttpApiGroup } from "@effect/platform"

/** Endpoints are added here; handlers live in TrackingHttp.ts. */
export class TrackingApi extends HttpApiGroup.make("tracking") {}
