import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * Streams kept apart (docs/decisions.md, "Categories are slugs"): a broadcast's category is any
 * lowercase slug, the product's named ones or an org's own.
 */
export default Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(`
ALTER TABLE broadcasts DROP CONSTRAINT broadcasts_category_check;
ALTER TABLE broadcasts ADD CONSTRAINT broadcasts_category_check CHECK (category ~ '^[a-z][a-z0-9_-]{0,31}$');
`))
