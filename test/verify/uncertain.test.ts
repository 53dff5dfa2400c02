// verify never calls an object missing when the history changes it in a way Strata does not follow (a DO block,
// a function of the files called by a file): such an object is unchecked, with the reason. Anything else that is
// gone still fails.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { scenario } from './helpers.js'

const FILES = {
  '001_t.sql': `create table if not exists t (a int, b int, c int);
create index if not exists t_b on t (b);
create table if not exists gone_by_call (id int);
create or replace function drop_it() returns void language plpgsql as $$ begin execute 'drop table gone_by_call'; end $$;`,
  '002_do.sql': `do $$ begin
  if exists (select 1 from information_schema.columns where table_name = 't' and column_name = 'b') then
    alter table t drop column b;
  end if;
end $$;`,
  '003_call.sql': 'select drop_it();',
}

test('objects a DO block or a called function of the files changed are unchecked, with the reason; verify passes', async () => {
  const s = await scenario(FILES)
  try {
    assert.is((await s.cli('migrate', '--rule', 'drop-column=off')).code, 0)
    const verify = await s.json('verify')
    assert.is(verify.code, 0, JSON.stringify(verify.doc.objects))
    const reasons = verify.doc.unchecked.map((u: { statement: string; reason: string }) => `${u.statement}: ${u.reason}`).join('\n')
    assert.match(reasons, /column public\.t\.b: not there, but the DO block at migrations\/002_do\.sql:1 names it/)
    assert.match(reasons, /index public\.t_b: not there, but the DO block at migrations\/002_do\.sql:1 names it/)
    assert.match(reasons, /table public\.gone_by_call: not there, but public\.drop_it\(\), called at migrations\/003_call\.sql:1, names it/)
  } finally {
    await s.dispose()
  }
})

test('an object gone that no such code names is still missing', async () => {
  const s = await scenario(FILES)
  try {
    assert.is((await s.cli('migrate', '--rule', 'drop-column=off')).code, 0)
    await s.sql('alter table t drop column c')
    const verify = await s.json('verify')
    assert.is(verify.code, 1)
    assert.equal(
      verify.doc.objects.map((o: { object: string; kind: string }) => `${o.kind} ${o.object}`),
      ['missing column public.t.c'],
    )
  } finally {
    await s.dispose()
  }
})

test.run()
