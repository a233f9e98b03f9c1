import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { decoyLine, fillerPool, type Planted, plantKey, prng } from './corpus.js';

export interface History {
  dir: string;
  commits: number;
  /** Every key ever committed; most are deleted again in a later commit. */
  planted: Planted[];
}

/**
 * A git repository of `commits` commits built with one `git fast-import` stream: files edited
 * over time, keys added and later removed again, decoys, and a side branch whose keys are on
 * no other ref.
 */
export function writeHistory(dir: string, commits: number, seed = 9): History {
  const rand = prng(seed);
  const pool = fillerPool(rand, 1500);
  const files = Array.from({ length: 300 }, (_, i) => `src/area${i % 12}/unit${i}.ts`);
  const contents = new Map<string, string[]>();
  const planted: Planted[] = [];
  const chunks: string[] = [];
  const data = (text: string) => `data ${Buffer.byteLength(text)}\n${text}\n`;
  let time = 1_700_000_000;

  const commit = (branch: string, mark: number, parent: number | undefined, edits: string[]) => {
    time += 600 + Math.floor(rand() * 3600);
    chunks.push(
      `commit refs/heads/${branch}\nmark :${mark}\n`,
      `author Dev <dev@example.com> ${time} +0000\ncommitter Dev <dev@example.com> ${time} +0000\n`,
      data(`change ${mark}`),
      parent === undefined ? '' : `from :${parent}\n`,
    );
    for (const path of edits)
      chunks.push(`M 100644 inline ${path}\n`, data(`${(contents.get(path) ?? []).join('\n')}\n`));
  };

  for (let c = 1; c <= commits; c++) {
    const side = c > commits - 20;
    const edits: string[] = [];
    for (let e = 0, n = 1 + Math.floor(rand() * 3); e < n; e++) {
      const path = files[Math.floor(rand() * files.length)] as string;
      // One edit per file per commit, so a key planted here is committed before anything removes it.
      if (edits.includes(path)) continue;
      const lines =
        contents.get(path) ??
        Array.from({ length: 40 }, () => pool[Math.floor(rand() * pool.length)] as string);
      // Replace a stretch of lines: this also removes keys planted earlier.
      const at = Math.floor(rand() * lines.length);
      lines.splice(
        at,
        3,
        ...Array.from({ length: 3 }, () => pool[Math.floor(rand() * pool.length)] as string),
      );
      const roll = rand();
      if (roll < 0.25 || side) {
        const key = plantKey(rand);
        planted.push(key);
        lines.splice(Math.floor(rand() * lines.length), 0, key.line);
      } else if (roll < 0.4) {
        lines.splice(Math.floor(rand() * lines.length), 0, decoyLine(rand));
      }
      contents.set(path, lines);
      edits.push(path);
    }
    commit(
      side ? 'side' : 'main',
      c,
      c === 1 ? undefined : side && c === commits - 19 ? commits - 20 : c - 1,
      edits,
    );
  }
  mkdirSync(dir, { recursive: true });
  spawnSync('git', ['init', '-q', '-b', 'main', dir]);
  const imported = spawnSync('git', ['fast-import', '--quiet'], { cwd: dir, input: chunks.join('') });
  if (imported.status !== 0) throw new Error(`git fast-import failed: ${imported.stderr}`);
  spawnSync('git', ['checkout', '-q', '-f', 'main'], { cwd: dir });
  return { dir, commits, planted };
}
