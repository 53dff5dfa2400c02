/**
 * Tests that cannot run here say so: they register as skipped (so they are counted) and print why once, as a
 * `SKIP: <reason>` line that test/run.mjs shows beside the count. A file that skips without a reason fails.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { test as uvuTest } from 'uvu'
import { repoRoot } from './project.js'

type Test = typeof uvuTest

const said = new Set<string>()

export function sayWhySkipped(reason: string): void {
  if (said.has(reason)) return
  said.add(reason)
  console.log(`SKIP: ${reason}`)
}

/** `suite` itself, or, when there is a reason not to run, its `skip` after saying why. */
export function testUnless(reason: string | undefined, suite: Test = uvuTest): Test['skip'] | Test {
  if (!reason) return suite
  sayWhySkipped(reason)
  return suite.skip
}

/**
 * The shared real-world corpus: ../shared/corpus beside the repository (STRATA_TEST_CORPUS names another place,
 * or a missing one to see the suite run without it). Its migrations are read in place, never copied here.
 */
export const CORPUS = process.env.STRATA_TEST_CORPUS || join(repoRoot, '../shared/corpus')

/** Why the corpus tests cannot run, or undefined when they can. */
export const corpusMissing = existsSync(CORPUS) ? undefined : `the real-world corpus is absent: ${CORPUS} does not exist`
