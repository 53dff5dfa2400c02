/** The driver's handle on a connection, as the rest of Strata types it (postgres.js, `prepare: false`). */
import type postgres from 'postgres'

export type Sql = postgres.Sql<{}>
