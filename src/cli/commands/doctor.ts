import type { Command } from 'commander';
import type { CliContext, ConnectionOptions } from '../context.js';
import { CliError } from '../errors.js';
import { formatCell, record } from '../output.js';
import { parsePositiveInt } from '../parse.js';
import { operatorCommand, print } from './operator.js';

interface DoctorOptions extends ConnectionOptions {
  project?: string;
  failUnder?: number;
}

/** `keywarden doctor`: the posture report from `GET /admin/v1/doctor`, as text or JSON. */
export function registerDoctor(program: Command, ctx: CliContext): void {
  operatorCommand(program, 'doctor', 'check the security posture: a score and the fixes to apply')
    .option('--project <id-or-name>', 'only the keys of this project')
    .option('--fail-under <score>', 'exit 1 when the score is below this', parsePositiveInt)
    .action(async (options: DoctorOptions) => {
      const report = record(await ctx.connect(options).get('/doctor', { project: options.project }));
      print(ctx, options, report, () => describeReport(report));
      const score = typeof report.score === 'number' ? report.score : 0;
      if (options.failUnder !== undefined && score < options.failUnder) {
        throw new CliError(`posture score ${score} is below ${options.failUnder}`);
      }
    });
}

function describeReport(report: Record<string, unknown>): string {
  const findings = Array.isArray(report.findings) ? report.findings.map(record) : [];
  const lines = [
    `posture score: ${formatCell(report.score)}/100 (${formatCell(report.keys_checked)} active keys checked)`,
  ];
  if (findings.length === 0) return [...lines, 'no findings'].join('\n');
  for (const f of findings) {
    lines.push('', `[${formatCell(f.severity)}] ${formatCell(f.message)}`, `  fix: ${formatCell(f.fix)}`);
  }
  return lines.join('\n');
}
