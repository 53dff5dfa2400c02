import type { Rule } from '../types.js'
import { addCheckValidated } from './add-check-validated.js'
import { addUniqueWithoutIndex } from './add-unique-without-index.js'
import { validateConstraintSameTransaction } from './validate-constraint-same-transaction.js'
import { renameTableOrColumn } from './rename-table-or-column.js'
import { reindexNotConcurrently } from './reindex-not-concurrently.js'
import { enumValueUsedInTransaction } from './enum-value-used-in-transaction.js'
import { dropIndexNotConcurrently } from './drop-index-not-concurrently.js'
import { detachPartitionNotConcurrently } from './detach-partition-not-concurrently.js'
import { vacuumFullOrCluster } from './vacuum-full-or-cluster.js'
import { lockTable } from './lock-table.js'
import { addColumnNotNull } from './add-column-not-null.js'
import { dropNotNull } from './drop-not-null.js'
import { dropDatabase } from './drop-database.js'
import { unattachedIgnore } from './unattached-ignore.js'
import { addColumnVolatileDefault } from './add-column-volatile-default.js'
import { addForeignKeyValidated } from './add-foreign-key-validated.js'
import { alterColumnType } from './alter-column-type.js'
import { copyFromStdin } from './copy-from-stdin.js'
import { createIndexNotConcurrently } from './create-index-not-concurrently.js'
import { deleteWithoutWhere } from './delete-without-where.js'
import { dropCascade } from './drop-cascade.js'
import { dropColumn } from './drop-column.js'
import { dropSchema } from './drop-schema.js'
import { dropTable } from './drop-table.js'
import { explicitTransactionControl } from './explicit-transaction-control.js'
import { insertWithoutOnConflict } from './insert-without-on-conflict.js'
import { missingDown } from './missing-down.js'
import { nontransactionalStatement } from './nontransactional-statement.js'
import { requireIfExists } from './require-if-exists.js'
import { requireIfNotExists } from './require-if-not-exists.js'
import { requireOrReplace } from './require-or-replace.js'
import { setNotNull } from './set-not-null.js'
import { syntaxError } from './syntax-error.js'
import { truncate } from './truncate.js'
import { unguardedCreate } from './unguarded-create.js'
import { unknownRule } from './unknown-rule.js'
import { updateWithoutWhere } from './update-without-where.js'

/** Every rule, by id. */
export const RULES: ReadonlyMap<string, Rule> = new Map(
  [
    requireIfNotExists,
    requireIfExists,
    requireOrReplace,
    unguardedCreate,
    insertWithoutOnConflict,
    dropTable,
    dropColumn,
    dropSchema,
    truncate,
    deleteWithoutWhere,
    updateWithoutWhere,
    alterColumnType,
    dropCascade,
    dropDatabase,
    createIndexNotConcurrently,
    addForeignKeyValidated,
    setNotNull,
    addColumnVolatileDefault,
    addCheckValidated,
    addUniqueWithoutIndex,
    validateConstraintSameTransaction,
    dropIndexNotConcurrently,
    detachPartitionNotConcurrently,
    reindexNotConcurrently,
    vacuumFullOrCluster,
    lockTable,
    renameTableOrColumn,
    dropNotNull,
    addColumnNotNull,
    nontransactionalStatement,
    explicitTransactionControl,
    enumValueUsedInTransaction,
    syntaxError,
    copyFromStdin,
    unknownRule,
    unattachedIgnore,
    missingDown,
  ].map((rule) => [rule.id, rule]),
)
