/** Plain-text rendering for people; `--json` bypasses all of it and prints the API's JSON. */

/** The API's JSON, as-is, indented. */
export function formatJson(value: unknown): string {
  return JSON.stringify(value ?? null, null, 2);
}

/** Columns padded to their widest cell, two spaces apart; the last column is not padded. */
export function formatTable(headers: string[], rows: string[][]): string {
  const all = [headers, ...rows];
  const widths = headers.map((_, column) => Math.max(...all.map((row) => (row[column] ?? '').length)));
  return all
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `name:  value` lines, labels aligned. */
export function formatDetails(pairs: Array<[label: string, value: unknown]>): string {
  const width = Math.max(...pairs.map(([label]) => label.length));
  return pairs.map(([label, value]) => `${`${label}:`.padEnd(width + 2)}${formatCell(value)}`).join('\n');
}

/** One table cell: `-` for nothing, lists comma-joined, objects as compact JSON. */
export function formatCell(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  if (Array.isArray(value)) return value.length === 0 ? '-' : value.map(formatCell).join(',');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** `$0.00036`, `$0.50`, `$5`: enough digits for one cheap request, no trailing zeros; `n/a` when unpriced. */
export function formatUsd(value: unknown): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return 'n/a';
  const digits = value.toFixed(6).replace(/\.?0+$/, '');
  return `$${/\.\d$/.test(digits) ? `${digits}0` : digits}`;
}

/** Counts with thousands separators, so token totals stay readable. */
export function formatCount(value: unknown): string {
  return typeof value === 'number' ? value.toLocaleString('en-US') : formatCell(value);
}

/** The `data` array of a list answer (`{"data":[...]}`), tolerating an absent one. */
export function listData(body: unknown): Array<Record<string, unknown>> {
  if (typeof body !== 'object' || body === null || !('data' in body) || !Array.isArray(body.data)) return [];
  return body.data.filter(
    (item): item is Record<string, unknown> => typeof item === 'object' && item !== null,
  );
}

/** A field of an API object, as a record (for reading views loosely: the server may add fields). */
export function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** Error text on one line, whatever the server or a library put in it. */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
