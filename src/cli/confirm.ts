/** Asking a person, only when there is one: stdin and stderr are terminals and output is not JSON. */
import { createInterface } from 'node:readline/promises'

export function terminalConfirm(json: boolean): ((question: string) => Promise<boolean>) | undefined {
  if (json || !process.stdin.isTTY || !process.stderr.isTTY) return undefined
  return async (question) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr })
    try {
      return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim())
    } finally {
      rl.close()
    }
  }
}
