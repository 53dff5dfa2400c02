export { parseSql, parseWith } from './parse.js';
export type { ParsedFile, Statement, SqlSyntaxError } from './parse.js';
export { splitStatements } from './split.js';
export type { StatementText } from './split.js';
export { lineColumn, LineIndex } from './position.js';
export type { Position } from './position.js';
export { loadParser } from './parser.js';
