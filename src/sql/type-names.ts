/** Catalog names the parser gives built-in types (`int` → pg_catalog.int4), written as people and format_type write them. */
export const BUILTIN_TYPE_NAMES: Record<string, string> = {
  int2: 'smallint',
  int4: 'integer',
  int8: 'bigint',
  float4: 'real',
  float8: 'double precision',
  bool: 'boolean',
  varchar: 'character varying',
  bpchar: 'character',
  varbit: 'bit varying',
  timestamp: 'timestamp without time zone',
  timestamptz: 'timestamp with time zone',
  time: 'time without time zone',
  timetz: 'time with time zone',
  numeric: 'numeric',
  interval: 'interval',
  bit: 'bit',
}
