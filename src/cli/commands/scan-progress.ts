import { formatBytes } from '../../scan/formatters.js';
import type { ScanProgress } from '../../scan/scan-runner.js';

const WIDTH = 30;
/** Short scans finish before a bar would be worth drawing. */
const SHOW_AFTER_MS = 500;
const REDRAW_MS = 100;

/** A one-line progress bar on a terminal's stderr, redrawn at most every 100 ms. */
export function createProgressBar(stream: { write(chunk: string): unknown }) {
  const started = Date.now();
  let lastDraw = 0;
  let drawn = false;
  return {
    update(progress: ScanProgress): void {
      const now = Date.now();
      if (now - started < SHOW_AFTER_MS || now - lastDraw < REDRAW_MS) return;
      lastDraw = now;
      drawn = true;
      const ratio = progress.total > 0 ? Math.min(1, progress.done / progress.total) : 0;
      const filled = Math.round(ratio * WIDTH);
      const amount =
        progress.unit === 'bytes'
          ? `${formatBytes(progress.done)} / ${formatBytes(progress.total)}`
          : `${progress.done} / ${progress.total} blobs`;
      stream.write(
        `\r[${'#'.repeat(filled)}${' '.repeat(WIDTH - filled)}] ${Math.round(ratio * 100)
          .toString()
          .padStart(3)}% ${amount}\x1b[K`,
      );
    },
    done(): void {
      if (drawn) stream.write('\r\x1b[K');
    },
  };
}
