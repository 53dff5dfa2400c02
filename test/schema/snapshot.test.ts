import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { connect, type Sql } from '../../src/db/connect.js'
import { alignPrivileges, diffSnapshots, formatDifferences, snapshotSchema } from '../../src/schema/index.js'
import { freshDatabase, type TestDatabase } from '../support/db.js'

const SCHEMA = `
create extension if not exists pg_trgm;
create schema app;
create type app.mood as enum ('sad', 'ok', 'happy');
create domain app.email as text check (value like '%@%');
create type app.pair as (a integer, b text);
create table app.users (
  id bigint generated always as identity primary key,
  email app.email not null unique,
  name varchar(80) default 'anon',
  mood app.mood,
  score numeric(10, 2) not null default 0
);
create table app.posts (id serial primary key, user_id bigint references app.users (id) on delete cascade, body text);
create index posts_body_trgm on app.posts using gin (body gin_trgm_ops);
create index posts_user on app.posts (user_id) where body is not null;
create view app.user_names as select id, name from app.users;
create materialized view app.post_counts as select user_id, count(*) as n from app.posts group by user_id;
create function app.touch(p_id integer, note text default null) returns integer language sql stable as $$ select p_id + 1 $$;
create procedure app.cleanup(days integer) language plpgsql as $$ begin delete from app.posts where id < days; end $$;
create function app.stamp() returns trigger language plpgsql as $$ begin return new; end $$;
create trigger posts_stamp before insert on app.posts for each row execute function app.stamp();
alter table app.posts enable row level security;
create policy posts_own on app.posts for select to public using (user_id = 1);
create sequence app.invoice_no start 100;
create schema ledger;
create table ledger.migrations (version bigint primary key);
`

let one: TestDatabase
let two: TestDatabase
let sqlOne: Sql
let sqlTwo: Sql
test.before(async () => {
  ;[one, two] = await Promise.all([freshDatabase(), freshDatabase()])
  sqlOne = connect({ url: one.url })
  sqlTwo = connect({ url: two.url })
  await sqlOne.unsafe(SCHEMA)
  await sqlTwo.unsafe(SCHEMA)
})
test.after(async () => {
  await Promise.all([sqlOne.end(), sqlTwo.end()])
  await Promise.all([one.drop(), two.drop()])
})

test('records every kind of object under a readable key, through the catalog', async () => {
  const snap = await snapshotSchema(sqlOne, { exclude: ['ledger'] })
  const o = snap.objects
  assert.is(o['schema app'].definition, 'schema')
  assert.is(o['table app.users'].kind, 'table')
  assert.is(o['column app.users.email'].definition, 'app.email not null')
  assert.is(o['column app.users.name'].definition, "character varying(80) default 'anon'::character varying")
  assert.is(o['column app.users.id'].definition, 'bigint not null generated always as identity')
  assert.is(o['column app.users.score'].definition, 'numeric(10,2) not null default 0')
  assert.is(o['constraint app.users.users_pkey'].definition, 'PRIMARY KEY (id)')
  assert.is(o['constraint app.posts.posts_user_id_fkey'].definition, 'FOREIGN KEY (user_id) REFERENCES app.users(id) ON DELETE CASCADE')
  const { table, type, columns } = o['constraint app.users.users_email_key'].facts as Record<string, unknown>
  assert.equal({ table, type, columns }, { table: 'users', type: 'u', columns: ['email'] })
  assert.is(o['index app.posts_user'].definition, 'CREATE INDEX posts_user ON app.posts USING btree (user_id) WHERE (body IS NOT NULL)')
  assert.not.ok('index app.users_pkey' in o, 'an index behind a constraint is reported as the constraint')
  assert.match(o['view app.user_names'].definition, /SELECT id,\s+name\s+FROM app\.users/)
  assert.is(o['materialized view app.post_counts'].kind, 'materialized view')
  assert.match(
    o['function app.touch(integer, text)'].definition,
    /^\(p_id integer, note text\) returns integer language sql stable\nselect p_id \+ 1$/,
  )
  assert.ok(o['procedure app.cleanup(integer)'])
  assert.is(o['type app.mood'].definition, "enum ('sad', 'ok', 'happy')")
  assert.is(o['type app.pair'].definition, 'composite (a integer, b text)')
  assert.match(o['domain app.email'].definition, /^domain over text constraint email_check CHECK \(VALUE ~~ '%@%'::text\)$/)
  assert.is(o['policy app.posts.posts_own'].definition, 'as permissive for select to public using ((user_id = 1))')
  assert.match(o['trigger app.posts.posts_stamp'].definition, /BEFORE INSERT ON app\.posts FOR EACH ROW EXECUTE FUNCTION app\.stamp\(\)/)
  assert.is(o['row level security app.posts'].definition, 'enabled')
  assert.is(o['extension pg_trgm'].definition, 'schema public')
  assert.is(o['sequence app.invoice_no'].definition, 'bigint start 100 increment 1 minvalue 1 maxvalue 9223372036854775807 cache 1')
  assert.match(o['sequence app.posts_id_seq'].definition, /owned by app\.posts\.id$/)
})

test('leaves out system schemas, excluded schemas and what extensions bring', async () => {
  const snap = await snapshotSchema(sqlOne, { exclude: ['ledger'] })
  const keys = Object.keys(snap.objects)
  assert.not.ok(
    keys.some((k) => / (pg_catalog|information_schema|pg_toast|ledger)\b/.test(k)),
    keys.filter((k) => /pg_catalog|ledger/.test(k)).join(', '),
  )
  assert.not.ok(
    keys.some((k) => k.startsWith('function public.similarity')),
    'pg_trgm functions belong to the extension',
  )
  assert.not.ok(
    keys.some((k) => k.startsWith('sequence app.users_id_seq')),
    'an identity sequence is part of its column',
  )
  assert.ok((await snapshotSchema(sqlOne)).objects['table ledger.migrations'], 'without exclude the schema is read')
})

test('two databases built from the same SQL have no differences', async () => {
  const diffs = diffSnapshots(await snapshotSchema(sqlOne), await snapshotSchema(sqlTwo))
  assert.equal(diffs, [])
  assert.is(formatDifferences(diffs), 'no differences')
})

test('reports missing, extra and different objects, and a dropped table only once', async () => {
  await sqlTwo.unsafe(`
    alter table app.users alter column score type numeric(12, 2);
    drop index app.posts_user;
    create table app.audit (id int, at timestamptz);
    create or replace function app.touch(p_id integer, note text default null) returns integer language sql stable as $$ select p_id + 2 $$;
    drop policy posts_own on app.posts;
    create policy posts_own on app.posts for select to public using (user_id = 2);
    alter type app.mood add value 'angry';
    drop materialized view app.post_counts;
    drop table app.posts cascade;`)
  const diffs = diffSnapshots(await snapshotSchema(sqlOne), await snapshotSchema(sqlTwo))
  const by = Object.fromEntries(diffs.map((d) => [d.object, d]))
  assert.equal(by['column app.users.score'], {
    kind: 'different',
    object: 'column app.users.score',
    expected: 'numeric(10,2) not null default 0',
    actual: 'numeric(12,2) not null default 0',
  })
  assert.is(by['table app.posts'].kind, 'missing')
  assert.not.ok(
    diffs.some(
      (d) => d.object.startsWith('column app.posts.') || d.object.startsWith('policy app.posts.') || d.object === 'index app.posts_user',
    ),
    'a dropped table is one difference',
  )
  assert.is(by['table app.audit'].kind, 'extra')
  assert.not.ok(by['column app.audit.id'], 'the columns of an extra table come with it')
  assert.is(by['function app.touch(integer, text)'].kind, 'different')
  assert.is(by['type app.mood'].actual, "enum ('sad', 'ok', 'happy', 'angry')")
  assert.is(by['materialized view app.post_counts'].kind, 'missing')

  const text = formatDifferences(diffs)
  assert.match(
    text,
    /different  column app\.users\.score\n\s+expected: numeric\(10,2\) not null default 0\n\s+actual: numeric\(12,2\) not null default 0/,
  )
  assert.match(text, /missing    table app\.posts/)
  assert.match(text, /extra      table app\.audit/)
})

test('a policy expression changed by hand is a difference', async () => {
  const db = await freshDatabase()
  const sql = connect({ url: db.url })
  try {
    await sql.unsafe('create table t (id int); alter table t enable row level security; create policy p on t using (id > 0);')
    const before = await snapshotSchema(sql)
    await sql.unsafe('drop policy p on t; create policy p on t using (id > 10);')
    const [diff] = diffSnapshots(before, await snapshotSchema(sql))
    assert.equal(diff, {
      kind: 'different',
      object: 'policy public.t.p',
      expected: 'as permissive for all to public using ((id > 0))',
      actual: 'as permissive for all to public using ((id > 10))',
    })
  } finally {
    await sql.end()
    await db.drop()
  }
})

test('records comments, storage options, view options, replica identity, forced RLS, statistics and matview indexes', async () => {
  const db = await freshDatabase()
  const sql = connect({ url: db.url })
  try {
    await sql.unsafe(`create table t (id int primary key, body text, n int) with (fillfactor = 70);
      alter table t replica identity full;
      alter table t force row level security;
      alter table t alter column n set statistics 300;
      alter table t alter column body set storage external;
      create view v with (security_invoker = true) as select id from t;
      create materialized view m as select id from t;
      create index m_id on m (id);
      comment on table t is 'things';
      comment on column t.body is 'the text';
      comment on constraint t_pkey on t is 'key';
      comment on view v is 'a view';
      comment on index m_id is 'fast';`)
    const o = (await snapshotSchema(sql)).objects
    assert.is(o['table public.t'].definition, 'table with (fillfactor=70) replica identity full')
    assert.is(o['row level security public.t'].definition, 'disabled, forced')
    assert.is(o['column public.t.n'].definition, 'integer statistics 300')
    assert.is(o['column public.t.body'].definition, 'text storage external')
    assert.match(o['view public.v'].definition, /FROM public\.t;\nwith \(security_invoker=true\)$/)
    assert.is(o['index public.m_id'].parent, 'materialized view public.m')
    assert.is(o['comment on table public.t'].definition, 'things')
    assert.is(o['comment on column public.t.body'].parent, 'column public.t.body')
    assert.is(o['comment on constraint public.t.t_pkey'].definition, 'key')
    assert.is(o['comment on view public.v'].definition, 'a view')
    assert.is(o['comment on index public.m_id'].definition, 'fast')
    assert.not.ok(o['grant public.t to public'], 'grants only on request')
  } finally {
    await sql.end()
    await db.drop()
  }
})

test('grants: tables, columns, functions, types, schemas, default privileges, with grant option; owners on request', async () => {
  const db = await freshDatabase()
  const sql = connect({ url: db.url })
  try {
    await sql.unsafe(`do $$ begin create role strata_snap_reader nologin; exception when duplicate_object then null; end $$;
      create schema s;
      create table s.t (id int, secret text);
      create function s.f(x int) returns int language sql as $$ select x $$;
      create type s.e as enum ('a');
      grant usage on schema s to strata_snap_reader;
      grant select on s.t to strata_snap_reader with grant option;
      grant update (secret) on s.t to strata_snap_reader;
      revoke execute on function s.f(int) from public;
      grant execute on function s.f(int) to strata_snap_reader;
      grant usage on type s.e to strata_snap_reader;
      alter default privileges in schema s grant insert on tables to strata_snap_reader;
      alter default privileges grant usage on sequences to strata_snap_reader;
      alter table s.t owner to strata_snap_reader;`)
    const snap = await snapshotSchema(sql, { grants: true, owners: true })
    const o = snap.objects
    assert.is(o['grant s.t to strata_snap_reader'], undefined, 'the owner has its privileges implicitly')
    assert.is(o['grant column s.t.secret to strata_snap_reader'], undefined)
    assert.is(o['grant schema s to strata_snap_reader'].definition, 'usage')
    assert.is(o['grant s.f(integer) to strata_snap_reader'].definition, 'execute')
    assert.not.ok(o['grant s.f(integer) to public'], 'revoked from public')
    assert.is(o['grant type s.e to strata_snap_reader'].definition, 'usage')
    assert.is(o['grant type s.e to public'].definition, 'usage', 'the built-in default is spelled out')
    assert.is(o['default privileges in schema s on tables to strata_snap_reader'].definition, 'insert')
    assert.is(o['default privileges on sequences to strata_snap_reader'].definition, 'usage')
    assert.is(o['owner table s.t'].definition, 'strata_snap_reader')
    assert.not.ok(o['owner schema s'], 'objects of the user taking the snapshot have no owner entry')

    await sql.unsafe('alter table s.t owner to current_user')
    await sql.unsafe(`grant select on s.t to strata_snap_reader with grant option; grant update (secret) on s.t to strata_snap_reader`)
    const again = (await snapshotSchema(sql, { grants: true })).objects
    assert.is(again['grant s.t to strata_snap_reader'].definition, 'select with grant option')
    assert.is(again['grant column s.t.secret to strata_snap_reader'].definition, 'update')
    assert.is(again['grant column s.t.secret to strata_snap_reader'].parent, 'column s.t.secret')
  } finally {
    await sql.end()
    await db.drop()
  }
})

test('alignPrivileges leaves out what an older server does not have (MAINTAIN before Postgres 17)', async () => {
  const snap = {
    serverVersion: 180000,
    objects: {
      'grant public.t to r': {
        kind: 'grant' as const,
        key: 'grant public.t to r',
        schema: 'public',
        name: 't',
        definition: 'maintain, select',
        facts: {
          privileges: [
            { name: 'select', grantable: false },
            { name: 'maintain', grantable: false },
          ],
        },
      },
    },
  }
  assert.is(alignPrivileges(snap, 150000).objects['grant public.t to r'].definition, 'select')
  assert.is(alignPrivileges(snap, 170000).objects['grant public.t to r'].definition, 'maintain, select')
})

test.run()
