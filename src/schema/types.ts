/** What a catalog snapshot is made of (src/schema/snapshot.ts reads one; diff.ts compares two). */

export type ObjectKind =
  | 'schema'
  | 'extension'
  | 'table'
  | 'column'
  | 'index'
  | 'constraint'
  | 'view'
  | 'materialized view'
  | 'sequence'
  | 'function'
  | 'procedure'
  | 'aggregate'
  | 'type'
  | 'domain'
  | 'policy'
  | 'trigger'
  | 'row level security'
  | 'grant'
  | 'default privileges'
  | 'comment'
  | 'owner'

export interface SnapshotObject {
  kind: ObjectKind
  key: string
  schema: string
  name: string
  /** Key of the object this one belongs to (a column's table), so a diff can report a missing table once. */
  parent?: string
  /** What two snapshots compare. */
  definition: string
  /** Structured facts for callers that match objects by shape: column type, index and constraint columns, enum labels. */
  facts?: Record<string, unknown>
}

export interface Snapshot {
  /** server_version_num of the database the snapshot was read from. */
  serverVersion: number
  objects: Record<string, SnapshotObject>
}
