import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { scenario, type Scenario } from './helpers.js'

const FILES = {
  '001_accounts.sql': `create table if not exists accounts (
  id bigint generated always as identity primary key,
  email varchar(255) not null,
  plan text not null default 'free'
);
create index if not exists accounts_plan on accounts (plan);
create or replace function account_count() returns bigint language sql stable as $$ select count(*) from accounts $$;
alter table accounts enable row level security;
drop policy if exists accounts_owner on accounts;
create policy accounts_owner on accounts for select using (id = 1);
`,
}

let s: Scenario
test.before(async () => {
  s = await scenario(FILES)
  const run = await s.cli('migrate')
  assert.is(run.code, 0, run.stderr)
})
test.after(async () => {
  await s.dispose()
})

test('--shadow on a database built from its files finds no difference', async () => {
  const { code, doc } = await s.json('verify', '--shadow')
  assert.is(code, 0)
  assert.equal(doc.shadow, { differences: [] })
})

test('--shadow reports a column type changed by hand, with both definitions', async () => {
  await s.sql('alter table accounts alter column email type text')
  const { code, doc } = await s.json('verify', '--shadow')
  assert.is(code, 1)
  assert.equal(doc.shadow.differences, [
    { kind: 'different', object: 'column public.accounts.email', expected: 'character varying(255) not null', actual: 'text not null' },
  ])
  const human = await s.cli('verify', '--shadow')
  assert.is(human.code, 1)
  assert.match(
    human.stdout,
    /different  column public\.accounts\.email\n\s+expected: character varying\(255\) not null\n\s+actual: text not null/,
  )
  await s.sql('alter table accounts alter column email type varchar(255)')
})

test('--shadow reports a default, an index, a function body and a policy expression changed by hand', async () => {
  await s.sql(`
    alter table accounts alter column plan set default 'pro';
    drop index accounts_plan; create index accounts_plan on accounts (plan, id);
    create or replace function account_count() returns bigint language sql stable as $$ select count(*) + 1 from accounts $$;
    drop policy accounts_owner on accounts; create policy accounts_owner on accounts for select using (id = 2);
    create table stray (id int);`)
  const { code, doc } = await s.json('verify', '--shadow')
  assert.is(code, 1)
  const by = Object.fromEntries(doc.shadow.differences.map((d: any) => [d.object, d]))
  assert.is(by['column public.accounts.plan'].actual, "text not null default 'pro'::text")
  assert.match(by['index public.accounts_plan'].actual, /\(plan, id\)$/)
  assert.match(by['function public.account_count()'].actual, /count\(\*\) \+ 1/)
  assert.is(by['policy public.accounts.accounts_owner'].actual, 'as permissive for select to public using ((id = 2))')
  assert.is(by['table public.stray'].kind, 'extra')
  assert.equal(doc.objects, [], 'every object the files create still exists: only --shadow sees these')
})

test('--shadow compares grants on tables, columns, functions and schemas, default privileges and comments', async () => {
  await s.sql(`drop table if exists stray;
    do $$ begin create role strata_shadow_reader nologin; exception when duplicate_object then null; end $$;
    grant select on accounts to strata_shadow_reader;
    grant update (plan) on accounts to strata_shadow_reader;
    grant usage on schema public to strata_shadow_reader;
    revoke execute on function account_count() from public;
    alter default privileges grant select on tables to strata_shadow_reader;
    comment on table accounts is 'customers';`)
  const { code, doc, stderr } = await s.json('verify', '--shadow')
  assert.is(code, 1, stderr)
  assert.ok(doc.shadow, JSON.stringify(doc))
  const by = Object.fromEntries(doc.shadow.differences.map((d: any) => [d.object, d]))
  assert.equal(by['grant public.accounts to strata_shadow_reader'], {
    kind: 'extra',
    object: 'grant public.accounts to strata_shadow_reader',
    actual: 'select',
  })
  assert.is(by['grant column public.accounts.plan to strata_shadow_reader'].actual, 'update')
  assert.is(by['grant schema public to strata_shadow_reader'].actual, 'usage')
  assert.equal(by['grant public.account_count() to public'], {
    kind: 'missing',
    object: 'grant public.account_count() to public',
    expected: 'execute',
  })
  assert.is(by['default privileges on tables to strata_shadow_reader'].actual, 'select')
  assert.is(by['comment on table public.accounts'].actual, 'customers')
})

test.run()
