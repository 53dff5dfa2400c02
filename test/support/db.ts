/** A fresh database per test file, on the Postgres that test/run.mjs started. */
import postgres from 'postgres'
import { randomBytes } from 'node:crypto'

export interface TestDatabase {
  url: string
  sql: postgres.Sql
  drop(): Promise<void>
}

export function adminUrl(): string {
  const url = process.env.STRATA_TEST_ADMIN_URL ?? process.env.TEST_DATABASE_URL
  if (!url) throw new Error('run tests with `npm test` (test/run.mjs starts Postgres), or set TEST_DATABASE_URL')
  return url
}

export async function freshDatabase(): Promise<TestDatabase> {
  const admin = postgres(adminUrl(), { prepare: false, max: 1, onnotice: () => {} })
  const name = `strata_test_${randomBytes(5).toString('hex')}`
  await admin.unsafe(`create database ${name}`)
  await admin.end()
  const u = new URL(adminUrl())
  u.pathname = `/${name}`
  const url = u.toString()
  const sql = postgres(url, { prepare: false, max: 2, onnotice: () => {} })
  return {
    url,
    sql,
    async drop() {
      await sql.end({ timeout: 1 })
      const a = postgres(adminUrl(), { prepare: false, max: 1, onnotice: () => {} })
      await a.unsafe(`drop database if exists ${name} with (force)`)
      await a.end()
    },
  }
}

/**
 * A fresh database for the tests of one file: made before its first test, dropped after its last.
 * `const db = useFreshDatabase(test)`; its fields are there from the first test on.
 */
export function useFreshDatabase(suite: { before(hook: () => Promise<void>): void; after(hook: () => Promise<void>): void }): TestDatabase {
  const db = {} as TestDatabase
  suite.before(async () => {
    Object.assign(db, await freshDatabase())
  })
  suite.after(async () => {
    await db.drop()
  })
  return db
}
