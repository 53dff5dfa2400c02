// Real histories of Flyway (marquez: dotted versions, repeatables), golang-migrate (harbor), sqlx (atuin),
// postgres-migrations (supabase/storage), Authelia's migrator and the Supabase CLI (basejump).
import { test } from 'uvu'
import { applyAndCompare, missing, psqlMissing, stub, type CorpusSet } from './corpus-sets.js'
import { testUnless } from '../support/skip.js'

const SETS: CorpusSet[] = [
  { name: 'marquez', layout: 'flyway', dir: 'MarquezProject__marquez/api/src/main/resources/marquez/db/migration', files: 84 },
  {
    name: 'harbor',
    layout: 'golang-migrate',
    dir: 'goharbor__harbor/make/migrations/postgresql',
    files: 39,
    // 0030 alters golang-migrate's own table, which a database coming from golang-migrate has.
    setup: () => 'create table schema_migrations (version bigint not null primary key, dirty boolean not null);',
  },
  { name: 'atuin', layout: 'sqlx', dir: 'atuinsh__atuin/crates/atuin-server-postgres/migrations', files: 20 },
  { name: 'authelia', layout: 'authelia', dir: 'authelia__authelia/internal/storage/migrations/postgres', files: 26 },
  {
    name: 'supabase/storage tenant',
    layout: 'postgres-migrations',
    dir: 'supabase__storage/migrations/tenant',
    files: 63,
    // The storage server runs tenant migrations with search_path = storage (unqualified names mean storage.*).
    setup: (db) => `alter database ${db} set search_path = storage, public;`,
  },
  {
    name: 'supabase/storage multitenant',
    layout: 'postgres-migrations',
    dir: 'supabase__storage/migrations/multitenant',
    files: 28,
    setup: (db) => `alter database ${db} set storage.iceberg_shards = '{}';`,
  },
  { name: 'basejump', layout: 'supabase', dir: 'usebasejump__basejump/supabase/migrations', files: 4, setup: stub },
]

for (const set of SETS)
  testUnless(missing(set) ?? psqlMissing)(`${set.name}: applied as it is, verify passes, the schema is psql's`, () => applyAndCompare(set))

test.run()
