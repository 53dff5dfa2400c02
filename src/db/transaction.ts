/**
 * A transaction on Strata's connection (max 1): BEGIN and COMMIT sent as plain queries. Not sql.begin: when
 * the connection is lost inside sql.begin, postgres.js writes its ROLLBACK to the dead socket from a timer and
 * the whole process crashes, where this way the query's own error reaches the caller.
 */
import type { Sql } from './connect.js'

/** `begin`: the statement that opens it, e.g. `begin isolation level repeatable read read only`. */
export async function inTransaction<T>(sql: Sql, work: () => Promise<T>, begin = 'begin'): Promise<T> {
  await sql.unsafe(begin)
  try {
    const result = await work()
    await sql.unsafe('commit')
    return result
  } catch (e) {
    await sql.unsafe('rollback').catch(() => {})
    throw e
  }
}
