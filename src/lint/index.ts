export { lintSources } from './engine.js';
export type { Source } from './engine.js';
export { loadLintConfig } from './config.js';
export { formatFindings, LINT_FORMATS } from './format.js';
export type { LintFormat } from './format.js';
export { RULES } from './rules/index.js';
export type { Category, Finding, LintConfig, Rule, Severity, SeveritySetting } from './types.js';
