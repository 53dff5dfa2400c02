/** Quoting for SQL that Strata writes itself: the one place identifiers and literals are escaped. */

/** Always quoted, so any name (mixed case, reserved word, quotes inside) comes through as it is. */
export const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`

/** A string literal, correct whatever standard_conforming_strings is (like libpq's PQescapeLiteral). */
export function quoteLiteral(value: string): string {
  const body = value.replace(/'/g, "''")
  return value.includes('\\') ? ` E'${body.replace(/\\/g, '\\\\')}'` : `'${body}'`
}
