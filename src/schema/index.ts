export { snapshotSchema, type Snapshot, type SnapshotObject, type SnapshotOptions, type ObjectKind } from './snapshot.js'
export { diffSnapshots, formatDifferences, type SchemaDifference } from './diff.js'
export { alignPrivileges } from './privileges.js'
