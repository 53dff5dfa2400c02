import type { Rule } from '../types.js'
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
    createIndexNotConcurrently,
    addForeignKeyValidated,
    setNotNull,
    addColumnVolatileDefault,
    nontransactionalStatement,
    explicitTransactionControl,
    syntaxError,
    copyFromStdin,
    unknownRule,
    missingDown,
  ].map((rule) => [rule.id, rule]),
)
