import { api, type UsageAnswer } from './api';
import type { Point } from './components';
import { dayLabel, hourLabel } from './format';

const HOUR = 3_600_000;
const DAY = 86_400_000;

export interface Series {
  requests: Point[];
  cost: Point[];
}

/**
 * Usage per hour over the last 24 hours or per day over the last 30 days, with empty buckets
 * filled in so the chart's time axis is continuous.
 */
export async function usageSeries(
  span: '24h' | '30d',
  filter: { key?: string; project?: string } = {},
): Promise<Series> {
  const step = span === '24h' ? HOUR : DAY;
  const buckets = span === '24h' ? 24 : 30;
  const end = Math.floor(Date.now() / step) * step + step;
  const start = end - buckets * step;
  const answer = await api.get<UsageAnswer<'hour' | 'day'>>('/usage', {
    ...filter,
    from: new Date(start).toISOString(),
    group_by: span === '24h' ? 'hour' : 'day',
  });
  const byStart = new Map(answer.data.map((row) => [Date.parse(String(row.hour ?? row.day)), row]));
  const requests: Point[] = [];
  const cost: Point[] = [];
  for (let t = start; t < end; t += step) {
    const row = byStart.get(t);
    const iso = new Date(t).toISOString();
    const label = span === '24h' ? hourLabel(iso) : dayLabel(iso);
    requests.push({ label, value: row?.requests ?? 0 });
    cost.push({ label, value: row?.cost_usd ?? 0 });
  }
  return { requests, cost };
}
