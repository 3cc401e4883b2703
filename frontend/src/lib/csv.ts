/** CSV the web app writes: a cell a spreadsheet would run as a formula is written as text. */
import Papa from 'papaparse'

/**
 * Spreadsheets run a cell that begins with one of these as a formula. No `.*$`: papaparse's
 * own default pattern misses a formula followed by a line break.
 */
export const FORMULA_START = /^[=+\-@\t\r]/

/**
 * Rows as CSV with OWASP's rule for formula cells: a single quote in front, and the cell in
 * double quotes (papaparse does both for cells matching `escapeFormulae`). Numbers stay numbers.
 * The server does the same in `src/tagloop/csvsafe.py`.
 */
export function toCsv(fields: string[], data: unknown[][]): string {
  return Papa.unparse({ fields, data }, { newline: '\r\n', escapeFormulae: FORMULA_START })
}
