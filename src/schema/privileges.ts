/**
 * Privileges and ownership in a snapshot: grants on tables, views, sequences, columns, functions, types and
 * schemas; default privileges; owners. Read only on request (roles differ between servers).
 *
 * Keys: `grant <schema>.<name> to <role>` (relations and routines, routines with their argument types),
 * `grant schema <name> to <role>`, `grant column <schema>.<table>.<column> to <role>`, `grant type <schema>.<name> to <role>`,
 * `default privileges [for role <role> ][in schema <schema> ]on <tables|sequences|functions|types|schemas> to <role>`,
 * `owner <key of the object>`. Definitions list the privileges, lower case, sorted, each `with grant option` when it has it.
 */
import { notInExtension, quotedRole, roleName, run, schemaFilter, type Reader, type Row } from './catalog.js'
import type { Snapshot, SnapshotObject } from './types.js'

/** What GRANT says after ON for each kind of object, by pg_class.relkind or pg_proc.prokind. */
const RELATION_TARGET: Record<string, string> = { r: 'table', p: 'table', f: 'table', v: 'table', m: 'table', S: 'sequence' }

export async function readGrants(r: Reader): Promise<void> {
  // The owner's own privileges are implicit and depend on who ran the files; only grants to others are compared.
  // An object never granted on has no ACL: its defaults (EXECUTE and USAGE for PUBLIC) are spelled out, so that
  // the first GRANT, which writes them into the ACL, does not look like a grant to PUBLIC.
  const grantee = roleName('a.grantee')
  const qgrantee = quotedRole('a.grantee')
  const rows = await run(
    r,
    `select 'relation' as on_kind, c.relkind::text as sub, n.nspname, c.relname as name, format('%I.%I', n.nspname, c.relname) as target, null as col,
            ${grantee} as grantee, ${qgrantee} as qgrantee, a.privilege_type, a.is_grantable, c.relacl is null as implicit
       from pg_class c join pg_namespace n on n.oid = c.relnamespace, aclexplode(coalesce(c.relacl, acldefault(case when c.relkind = 'S' then 's' else 'r' end::"char", c.relowner))) a
      where c.relkind in ('r', 'p', 'f', 'v', 'm', 'S') and a.grantee <> c.relowner and ${schemaFilter('n')} and ${notInExtension('pg_class', 'c.oid')}
     union all
     select 'column', c.relkind::text, n.nspname, c.relname || '.' || at.attname, format('%I.%I', n.nspname, c.relname), format('%I', at.attname),
            ${grantee}, ${qgrantee}, a.privilege_type, a.is_grantable, false
       from pg_attribute at join pg_class c on c.oid = at.attrelid join pg_namespace n on n.oid = c.relnamespace, aclexplode(at.attacl) a
      where at.attnum > 0 and not at.attisdropped and a.grantee <> c.relowner and ${schemaFilter('n')} and ${notInExtension('pg_class', 'c.oid')}
     union all
     select 'schema', null::text, n.nspname, n.nspname::text, format('%I', n.nspname), null::text, ${grantee}, ${qgrantee}, a.privilege_type, a.is_grantable, n.nspacl is null
       from pg_namespace n, aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a
      where a.grantee <> n.nspowner and ${schemaFilter('n')}
     union all
     select 'routine', p.prokind::text, n.nspname, p.proname || '(' || oidvectortypes(p.proargtypes) || ')',
            format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)), null,
            ${grantee}, ${qgrantee}, a.privilege_type, a.is_grantable, p.proacl is null
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
      where a.grantee <> p.proowner and ${schemaFilter('n')} and ${notInExtension('pg_proc', 'p.oid')}
     union all
     select 'type', t.typtype::text, n.nspname, t.typname, format('%I.%I', n.nspname, t.typname), null,
            ${grantee}, ${qgrantee}, a.privilege_type, a.is_grantable, t.typacl is null
       from pg_type t join pg_namespace n on n.oid = t.typnamespace, aclexplode(coalesce(t.typacl, acldefault('T', t.typowner))) a
      where t.typtype in ('e', 'd', 'r', 'c') and (t.typrelid = 0 or (select relkind from pg_class where oid = t.typrelid) = 'c')
        and a.grantee <> t.typowner and ${schemaFilter('n')} and ${notInExtension('pg_type', 't.oid')}`,
  )
  for (const [key, { row, privileges }] of byGrantee(rows, (row) => `grant ${grantSubject(row)} to ${row.grantee}`)) {
    r.add({
      kind: 'grant',
      key,
      schema: row.nspname,
      name: row.name,
      parent: grantParent(row),
      definition: describePrivileges(privileges),
      // implicit: the object's built-in defaults (no ACL yet), which a new object gets without a GRANT.
      facts: { on: grantTarget(row), column: row.col ?? undefined, grantee: row.qgrantee, privileges, implicit: row.implicit },
    })
  }
  await readDefaultPrivileges(r)
}

/** aclexplode gives a row per privilege: one entry per key (object and grantee), with its privileges. */
function byGrantee(rows: Row[], keyOf: (row: Row) => string): Map<string, { row: Row; privileges: Privilege[] }> {
  const grouped = new Map<string, { row: Row; privileges: Privilege[] }>()
  for (const row of rows) {
    const key = keyOf(row)
    const entry = grouped.get(key) ?? { row, privileges: [] }
    entry.privileges.push({ name: row.privilege_type.toLowerCase(), grantable: row.is_grantable })
    grouped.set(key, entry)
  }
  return grouped
}

export interface Privilege {
  name: string
  grantable: boolean
}

export const describePrivileges = (privileges: Privilege[]) =>
  privileges
    .map((p) => (p.grantable ? `${p.name} with grant option` : p.name))
    .sort()
    .join(', ')

function grantSubject(row: Row): string {
  if (row.on_kind === 'schema') return `schema ${row.nspname}`
  if (row.on_kind === 'column') return `column ${row.nspname}.${row.name}`
  if (row.on_kind === 'type') return `type ${row.nspname}.${row.name}`
  return `${row.nspname}.${row.name}`
}

/** The key of the object granted on, so that a missing or extra object is reported once, with its grants. */
function grantParent(row: Row): string {
  if (row.on_kind === 'schema') return `schema ${row.nspname}`
  if (row.on_kind === 'column') return `column ${row.nspname}.${row.name}`
  if (row.on_kind === 'routine')
    return `${row.sub === 'p' ? 'procedure' : row.sub === 'a' ? 'aggregate' : 'function'} ${row.nspname}.${row.name}`
  if (row.on_kind === 'type') return `${row.sub === 'd' ? 'domain' : 'type'} ${row.nspname}.${row.name}`
  return `${RELATION_KEY[row.sub] ?? 'table'} ${row.nspname}.${row.name}`
}

const RELATION_KEY: Record<string, string> = { r: 'table', p: 'table', f: 'table', v: 'view', m: 'materialized view', S: 'sequence' }

/** The object as GRANT and REVOKE name it after ON. */
function grantTarget(row: Row): string {
  if (row.on_kind === 'schema') return `schema ${row.target}`
  if (row.on_kind === 'relation' || row.on_kind === 'column') return `${RELATION_TARGET[row.sub] ?? 'table'} ${row.target}`
  if (row.on_kind === 'routine') return `${row.sub === 'p' ? 'procedure' : 'function'} ${row.target}`
  return `${row.sub === 'd' ? 'domain' : 'type'} ${row.target}`
}

const DEFAULT_OBJECTS: Record<string, string> = { r: 'tables', S: 'sequences', f: 'functions', T: 'types', n: 'schemas' }

/**
 * ALTER DEFAULT PRIVILEGES. The role whose future objects they apply to is left out of the key when it is the
 * user taking the snapshot: files that say no FOR ROLE set them for whoever runs them, on the scratch server and
 * on the target alike.
 */
async function readDefaultPrivileges(r: Reader): Promise<void> {
  const rows = await run(
    r,
    `select d.defaclobjtype as objtype, pg_get_userbyid(d.defaclrole) as role, format('%I', pg_get_userbyid(d.defaclrole)) as qrole,
            d.defaclrole = (select oid from pg_roles where rolname = current_user) as mine,
            n.nspname, case when n.oid is not null then format('%I', n.nspname) end as qschema,
            ${roleName('a.grantee')} as grantee, ${quotedRole('a.grantee')} as qgrantee, a.privilege_type, a.is_grantable
       from pg_default_acl d left join pg_namespace n on n.oid = d.defaclnamespace, aclexplode(d.defaclacl) a
      where a.grantee <> d.defaclrole and (n.oid is null or ${schemaFilter('n')})`,
  )
  const keyOf = (row: Row) => {
    const forRole = row.mine ? '' : `for role ${row.role} `
    const inSchema = row.nspname ? `in schema ${row.nspname} ` : ''
    return `default privileges ${forRole}${inSchema}on ${DEFAULT_OBJECTS[row.objtype] ?? row.objtype} to ${row.grantee}`
  }
  for (const [key, { row, privileges }] of byGrantee(rows, keyOf)) {
    r.add({
      kind: 'default privileges',
      key,
      schema: row.nspname ?? '',
      name: DEFAULT_OBJECTS[row.objtype] ?? row.objtype,
      definition: describePrivileges(privileges),
      facts: {
        forRole: row.mine ? undefined : row.qrole,
        inSchema: row.qschema ?? undefined,
        objects: DEFAULT_OBJECTS[row.objtype] ?? row.objtype,
        grantee: row.qgrantee,
        privileges,
      },
    })
  }
}

/**
 * Owners, only where they are not the user taking the snapshot: objects the files create belong to whoever runs
 * them, so only an ALTER ... OWNER TO (or an object made by another role) is worth comparing.
 */
export async function readOwners(r: Reader): Promise<void> {
  const rows = await run(
    r,
    `select 'schema ' || n.nspname as key, 'schema ' || format('%I', n.nspname) as target, n.nspname, n.nspname as name, n.nspowner as owner
       from pg_namespace n where ${schemaFilter('n')} and ${notInExtension('pg_namespace', 'n.oid')}
     union all
     select case c.relkind when 'v' then 'view ' when 'm' then 'materialized view ' when 'S' then 'sequence ' else 'table ' end || n.nspname || '.' || c.relname,
            case c.relkind when 'v' then 'view ' when 'm' then 'materialized view ' when 'S' then 'sequence ' when 'f' then 'foreign table ' else 'table ' end
              || format('%I.%I', n.nspname, c.relname),
            n.nspname, c.relname, c.relowner
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p', 'f', 'v', 'm', 'S') and ${schemaFilter('n')} and ${notInExtension('pg_class', 'c.oid')}
        and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype in ('i', 'a'))
     union all
     select case p.prokind when 'p' then 'procedure ' when 'a' then 'aggregate ' else 'function ' end || n.nspname || '.' || p.proname || '(' || oidvectortypes(p.proargtypes) || ')',
            case p.prokind when 'p' then 'procedure ' when 'a' then 'aggregate ' else 'function ' end
              || format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)),
            n.nspname, p.proname, p.proowner
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace where ${schemaFilter('n')} and ${notInExtension('pg_proc', 'p.oid')}
     union all
     select case t.typtype when 'd' then 'domain ' else 'type ' end || n.nspname || '.' || t.typname,
            case t.typtype when 'd' then 'domain ' else 'type ' end || format('%I.%I', n.nspname, t.typname), n.nspname, t.typname, t.typowner
       from pg_type t join pg_namespace n on n.oid = t.typnamespace left join pg_class c on c.oid = t.typrelid
      where (t.typtype in ('e', 'd', 'r') or (t.typtype = 'c' and c.relkind = 'c')) and ${schemaFilter('n')} and ${notInExtension('pg_type', 't.oid')}`,
  )
  const me = (await r.q`select oid from pg_roles where rolname = current_user`)[0]?.oid
  const names = new Map<number, { name: string; qname: string }>()
  for (const role of await r.q`select oid, rolname, format('%I', rolname) as qname from pg_roles`)
    names.set(Number(role.oid), { name: role.rolname, qname: role.qname })
  for (const row of rows) {
    if (Number(row.owner) === Number(me)) continue
    const owner = names.get(Number(row.owner))
    r.add({
      kind: 'owner',
      key: `owner ${row.key}`,
      schema: row.nspname,
      name: row.name,
      parent: row.key,
      definition: owner?.name ?? String(row.owner),
      facts: { target: row.target, owner: owner?.qname },
    })
  }
}

/** Privileges by the server version that introduced them: a snapshot from an older server cannot have them. */
const NEWER_PRIVILEGES: [string, number][] = [['maintain', 170000]]

/**
 * A snapshot from a newer server (the scratch one) as an older server (the target) would have it: without
 * privileges the older one does not know, so that `GRANT ALL` compares equal on both.
 */
export function alignPrivileges(snapshot: Snapshot, version: number): Snapshot {
  const unknown = NEWER_PRIVILEGES.filter(([, since]) => version < since).map(([name]) => name)
  if (!unknown.length) return snapshot
  const objects: Record<string, SnapshotObject> = {}
  for (const [key, o] of Object.entries(snapshot.objects)) {
    if (o.kind !== 'grant' && o.kind !== 'default privileges') {
      objects[key] = o
      continue
    }
    const privileges = (o.facts!.privileges as Privilege[]).filter((p) => !unknown.includes(p.name))
    if (privileges.length) objects[key] = { ...o, definition: describePrivileges(privileges), facts: { ...o.facts, privileges } }
  }
  return { ...snapshot, objects }
}
