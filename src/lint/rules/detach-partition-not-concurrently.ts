import type { AlterTableStmt } from '@pgsql/types'
import { display, rangeVarName } from '../names.js'
import { alterTableCommands, inner } from '../objects.js'
import type { Report, Rule } from '../types.js'

export const detachPartitionNotConcurrently: Rule = {
  id: 'detach-partition-not-concurrently',
  category: 'locking',
  defaultSeverity: 'warning',
  summary: 'ALTER TABLE ... DETACH PARTITION without CONCURRENTLY blocks all reads and writes of the partitioned table.',
  kinds: ['AlterTableStmt'],
  check(statement, file) {
    const alter = inner<AlterTableStmt>(statement)
    const table = rangeVarName(alter.relation)
    if (file.createdTable(table)) return []
    return alterTableCommands(alter).flatMap((command): Report[] => {
      const partition = command.def && 'PartitionCmd' in command.def ? command.def.PartitionCmd : undefined
      if (command.subtype !== 'AT_DetachPartition' || !partition || partition.concurrent) return []
      return [
        {
          message: `DETACH PARTITION ${display(rangeVarName(partition.name))} takes an ACCESS EXCLUSIVE lock on ${display(table)}, blocking every read and write of the whole partitioned table.`,
          help: 'Use DETACH PARTITION ... CONCURRENTLY (PostgreSQL 14+), alone in a file that starts with `-- strata:no-transaction`.',
        },
      ]
    })
  },
}
