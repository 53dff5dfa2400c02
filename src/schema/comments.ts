/**
 * COMMENT ON, in a snapshot: one object per comment, keyed `comment on <key of the object>` (`comment on column
 * app.users.email`), its text the definition, so a comment added, changed or dropped by hand is a difference.
 */
import { notInExtension, run, schemaFilter, type Reader } from './catalog.js'

const RELATION_WORD = `case c.relkind when 'v' then 'view' when 'm' then 'materialized view' when 'S' then 'sequence' when 'f' then 'foreign table' when 'i' then 'index' when 'I' then 'index' else 'table' end`
const RELATION_KEY = `case c.relkind when 'v' then 'view' when 'm' then 'materialized view' when 'S' then 'sequence' when 'i' then 'index' when 'I' then 'index' else 'table' end`
const ROUTINE_WORD = `case p.prokind when 'p' then 'procedure' when 'a' then 'aggregate' else 'function' end`

export async function readComments(r: Reader): Promise<void> {
  // key: the commented object's snapshot key; target: how COMMENT ON names it.
  const rows = await run(
    r,
    `select 'schema ' || n.nspname as key, 'schema ' || format('%I', n.nspname) as target, n.nspname, d.description
       from pg_description d join pg_namespace n on d.classoid = 'pg_namespace'::regclass and d.objoid = n.oid
      where ${schemaFilter('n')} and ${notInExtension('pg_namespace', 'n.oid')}
     union all
     select ${RELATION_KEY} || ' ' || n.nspname || '.' || c.relname, ${RELATION_WORD} || ' ' || format('%I.%I', n.nspname, c.relname), n.nspname, d.description
       from pg_description d join pg_class c on d.classoid = 'pg_class'::regclass and d.objoid = c.oid and d.objsubid = 0
       join pg_namespace n on n.oid = c.relnamespace
      where ${schemaFilter('n')} and ${notInExtension('pg_class', 'c.oid')}
        and not exists (select 1 from pg_constraint k where k.conindid = c.oid and k.contype in ('p', 'u', 'x'))
     union all
     select 'column ' || n.nspname || '.' || c.relname || '.' || a.attname, 'column ' || format('%I.%I.%I', n.nspname, c.relname, a.attname), n.nspname, d.description
       from pg_description d join pg_class c on d.classoid = 'pg_class'::regclass and d.objoid = c.oid
       join pg_attribute a on a.attrelid = c.oid and a.attnum = d.objsubid
       join pg_namespace n on n.oid = c.relnamespace
      where d.objsubid > 0 and ${schemaFilter('n')} and ${notInExtension('pg_class', 'c.oid')}
     union all
     select 'constraint ' || n.nspname || '.' || c.relname || '.' || k.conname,
            'constraint ' || format('%I', k.conname) || ' on ' || format('%I.%I', n.nspname, c.relname), n.nspname, d.description
       from pg_description d join pg_constraint k on d.classoid = 'pg_constraint'::regclass and d.objoid = k.oid
       join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
      where ${schemaFilter('n')} and ${notInExtension('pg_class', 'c.oid')}
     union all
     select ${ROUTINE_WORD} || ' ' || n.nspname || '.' || p.proname || '(' || oidvectortypes(p.proargtypes) || ')',
            ${ROUTINE_WORD} || ' ' || format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)), n.nspname, d.description
       from pg_description d join pg_proc p on d.classoid = 'pg_proc'::regclass and d.objoid = p.oid
       join pg_namespace n on n.oid = p.pronamespace
      where ${schemaFilter('n')} and ${notInExtension('pg_proc', 'p.oid')}
     union all
     select case t.typtype when 'd' then 'domain ' else 'type ' end || n.nspname || '.' || t.typname,
            case t.typtype when 'd' then 'domain ' else 'type ' end || format('%I.%I', n.nspname, t.typname), n.nspname, d.description
       from pg_description d join pg_type t on d.classoid = 'pg_type'::regclass and d.objoid = t.oid
       join pg_namespace n on n.oid = t.typnamespace
      where ${schemaFilter('n')} and ${notInExtension('pg_type', 't.oid')}
     union all
     select 'policy ' || n.nspname || '.' || c.relname || '.' || p.polname,
            'policy ' || format('%I', p.polname) || ' on ' || format('%I.%I', n.nspname, c.relname), n.nspname, d.description
       from pg_description d join pg_policy p on d.classoid = 'pg_policy'::regclass and d.objoid = p.oid
       join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace
      where ${schemaFilter('n')}
     union all
     select 'trigger ' || n.nspname || '.' || c.relname || '.' || t.tgname,
            'trigger ' || format('%I', t.tgname) || ' on ' || format('%I.%I', n.nspname, c.relname), n.nspname, d.description
       from pg_description d join pg_trigger t on d.classoid = 'pg_trigger'::regclass and d.objoid = t.oid
       join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
      where not t.tgisinternal and ${schemaFilter('n')}
`,
  )
  for (const row of rows) {
    r.add({
      kind: 'comment',
      key: `comment on ${row.key}`,
      schema: row.nspname,
      name: row.key,
      parent: row.key,
      definition: row.description,
      facts: { target: row.target },
    })
  }
}
