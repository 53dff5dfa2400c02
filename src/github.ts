/** GitHub Actions workflow commands (`::error file=...,line=...::message`), which become annotations on a pull request. */

export interface AnnotationPlace {
  file?: string
  line?: number
  col?: number
  endLine?: number
  endColumn?: number
  title?: string
}

export function annotation(level: 'error' | 'warning' | 'notice', place: AnnotationPlace, message: string): string {
  const properties = Object.entries(place)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? escapeProperty(value) : value}`)
    .join(',')
  return `::${level}${properties ? ` ${properties}` : ''}::${escapeData(message)}\n`
}

function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C')
}
