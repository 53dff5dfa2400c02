/** Asking a person, only when there is one: stdin and stderr are terminals and output is not JSON. */
export function terminalConfirm(json: boolean): ((question: string) => Promise<boolean>) | undefined {
  if (json || !process.stdin.isTTY || !process.stderr.isTTY) return undefined
  return async (question) => {
    const { createInterface } = await import('node:readline/promises') // loaded only to ask: a few ms off every start
    const rl = createInterface({ input: process.stdin, output: process.stderr })
    try {
      return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim())
    } finally {
      rl.close()
    }
  }
}
