/**
 * At-risk backups cover what Postgres removes implicitly (ON DELETE CASCADE / SET NULL three levels deep,
 * statements accepted with strata:ignore), and a dropped table comes back as it was: RLS enabled and forced,
 * policies, grants (not the default privileges a new table would get), indexes, constraints, comments,
 * triggers, and the view and foreign key that DROP ... CASCADE took with it.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { useFreshDatabase } from '../support/db.js'
import { project, strata } from '../support/project.js'
import { connect } from '../../src/db/connect.js'
import { diffSnapshots, snapshotSchema } from '../../src/index.js'

const db = useFreshDatabase(test)

const run = (cwd: string, schema: string, ...args: string[]) => strata([...args, '--url', db.url, '--schema', schema], { cwd })

async function sums(tables: Record<string, string>) {
  const out: Record<string, string> = {}
  for (const [t, cols] of Object.entries(tables)) {
    const [r] = await db.sql.unsafe(
      `select count(*) || ':' || md5(coalesce(string_agg(row(${cols})::text, ',' order by ${cols.split(',')[0]}), '')) as h from ${t}`,
    )
    out[t] = r.h
  }
  return out
}

test('migrate --backup of DELETE accepted with strata:ignore saves the rows ON DELETE CASCADE removes three levels down and the keys SET NULL clears; restore puts them all back', async () => {
  const cwd = project({
    'migrations/001_tree.sql': `
create table if not exists c_a (id int primary key, label text);
create table if not exists c_b (id int primary key, a_id int references c_a on delete cascade, note text);
create table if not exists c_c (id int primary key, b_id int references c_b on delete cascade, note text);
create table if not exists c_d (id int primary key, c_id int references c_c on delete set null, note text);
create table if not exists c_keep (id int primary key, note text);`,
    'migrations/002_purge.sql': '-- strata:ignore delete-without-where\ndelete from c_a;',
  })
  assert.is((await run(cwd, 'l_cascade', 'migrate', '--to', '1')).code, 0)
  await db.sql.unsafe(`
insert into c_a select g, 'a' || g from generate_series(1, 20) g;
insert into c_b select g, case when g % 5 = 0 then null else 1 + g % 20 end, 'b' || g from generate_series(1, 100) g;
insert into c_c select g, 1 + g % 100, 'c' || g from generate_series(1, 300) g;
insert into c_d select g, case when g % 4 = 0 then null else 1 + g % 300 end, 'd' || g from generate_series(1, 500) g;
insert into c_keep select g, 'k' from generate_series(1, 10) g;`)
  const tables = { c_a: 'id, label', c_b: 'id, a_id, note', c_c: 'id, b_id, note', c_d: 'id, c_id, note' }
  const before = await sums(tables)

  const migrated = await run(cwd, 'l_cascade', 'migrate', '--backup')
  assert.is(migrated.code, 0, migrated.stderr)
  const dir = /^backup\s+(\S+)/m.exec(migrated.stdout)?.[1]
  assert.ok(dir, `a backup, though lint had nothing to report:\n${migrated.stdout}`)
  const manifest = JSON.parse(readFileSync(join(cwd, dir!, 'manifest.json'), 'utf8'))
  const entry = (name: string) => manifest.tables.find((t: any) => t.name === name)
  assert.equal(entry('c_a').reasons[0].rule, 'delete-without-where')
  assert.is(entry('c_b').reasons[0].rule, 'on-delete-cascade')
  assert.is(entry('c_b').rows, 80, 'only the rows that reference a deleted row')
  assert.is(entry('c_c').rows, 240, 'and the rows that reference those')
  assert.is(entry('c_d').scope, 'columns')
  assert.equal(entry('c_d').columns, ['id', 'c_id'])
  assert.is(entry('c_d').reasons[0].rule, 'on-delete-set-null')
  assert.not.ok(entry('c_keep'), 'tables no cascade reaches are not backed up')
  assert.is((await db.sql`select count(*)::int as n from c_c`)[0].n, 60, 'the cascade ran')

  const restored = await run(cwd, 'l_cascade', 'restore', dir!)
  assert.is(restored.code, 0, restored.stderr + restored.stdout)
  assert.equal(await sums(tables), before, 'every row and key is back')
})

test('a dropped table comes back as it was: RLS on and forced, policies, grants, indexes, constraints, comments, triggers, and what CASCADE took', async () => {
  const cwd = project({
    'migrations/001_secrets.sql': `
do $$ begin create role bk_anon nologin; exception when duplicate_object then null; end $$;
alter default privileges in schema public grant all on tables to bk_anon;
create table if not exists secrets (
  id serial primary key,
  owner text not null default current_user,
  body text check (length(body) < 100),
  unique (body)
);
create index if not exists secrets_owner on secrets (owner);
comment on table secrets is 'who knows what';
comment on column secrets.body is 'the secret';
alter table secrets enable row level security;
alter table secrets force row level security;
drop policy if exists own on secrets;
create policy own on secrets for select to bk_anon using (owner = current_user);
revoke all on secrets from bk_anon;
grant select on secrets to bk_anon;
grant update (body) on secrets to bk_anon;
create or replace function secrets_touch() returns trigger language plpgsql as $$ begin new.body := lower(new.body); return new; end $$;
drop trigger if exists secrets_touch on secrets;
create trigger secrets_touch before insert on secrets for each row execute function secrets_touch();
create or replace view secret_bodies as select body from secrets;
create table if not exists secret_refs (id int primary key, secret_id int references secrets);`,
    'migrations/002_drop.sql': 'drop table if exists secrets cascade;',
  })
  assert.is((await run(cwd, 'l_rls', 'migrate', '--to', '1')).code, 0)
  await db.sql.unsafe(
    `insert into secrets (body) select 'secret ' || g from generate_series(1, 50) g; insert into secret_refs select g, g from generate_series(1, 5) g;`,
  )
  const snapshot = async () => {
    const sql = connect({ url: db.url })
    try {
      return await snapshotSchema(sql, { exclude: ['l_rls'], grants: true })
    } finally {
      await sql.end()
    }
  }
  const before = await snapshot()
  const rows = await sums({ secrets: 'id, owner, body' })

  const migrated = await run(cwd, 'l_rls', 'migrate', '--allow-destructive', '--backup')
  assert.is(migrated.code, 0, migrated.stderr)
  const dir = /^backup\s+(\S+)/m.exec(migrated.stdout)![1]
  assert.is((await db.sql`select to_regclass('secret_bodies') as v`)[0].v, null, 'CASCADE took the view')

  const restored = await run(cwd, 'l_rls', 'restore', dir)
  assert.is(restored.code, 0, restored.stderr + restored.stdout)
  assert.match(restored.stdout, /row level security on and forced/)
  assert.not.match(restored.stdout, /not restored/)
  const [c] = await db.sql`select relrowsecurity, relforcerowsecurity from pg_class where oid = 'secrets'::regclass`
  assert.equal([c.relrowsecurity, c.relforcerowsecurity], [true, true], 'RLS is never left off')
  const anon =
    await db.sql`select privilege_type from information_schema.role_table_grants where grantee = 'bk_anon' and table_name = 'secrets'`
  assert.equal(
    anon.map((r) => r.privilege_type),
    ['SELECT'],
    'the grants it had, not the default privileges a new table gets',
  )
  assert.equal(diffSnapshots(before, await snapshot()), [], 'the catalog (grants included) is as before the drop')
  assert.equal(await sums({ secrets: 'id, owner, body' }), rows)
})

test.run()
