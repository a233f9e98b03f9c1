import type { ReactNode } from 'react';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

export function Card({
  label,
  value,
  sub,
  tone,
}: {
  label: string;
  value: ReactNode;
  sub?: ReactNode;
  tone?: 'bad';
}) {
  return (
    <div className={`card${tone === 'bad' ? ' card-bad' : ''}`}>
      <div className="card-label">{label}</div>
      <div className="card-value">{value}</div>
      {sub !== undefined && <div className="card-sub">{sub}</div>}
    </div>
  );
}

export function Panel({
  title,
  actions,
  children,
}: {
  title: string;
  actions?: ReactNode;
  children: ReactNode;
}) {
  return (
    <section className="panel">
      <header className="panel-head">
        <h2>{title}</h2>
        {actions}
      </header>
      {children}
    </section>
  );
}

/** What a new user sees instead of an empty table: what this is and what to do next. */
export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <strong>{title}</strong>
      {children && <div className="empty-body">{children}</div>}
    </div>
  );
}

export function Meter({ used, limit, label }: { used: number; limit: number; label: ReactNode }) {
  const ratio = limit > 0 ? Math.min(used / limit, 1) : 0;
  const tone = ratio >= 1 ? 'over' : ratio >= 0.8 ? 'warn' : 'ok';
  return (
    <div className="meter">
      <div className="meter-label">{label}</div>
      <progress className={`meter-bar meter-${tone}`} max={1} value={ratio} />
    </div>
  );
}

export function Status({ value }: { value: string }) {
  return <span className={`status status-${value}`}>{value}</span>;
}

export function ErrorLine({ error }: { error: string | undefined }) {
  return error ? (
    <p className="error" role="alert">
      {error}
    </p>
  ) : null;
}

export interface Point {
  label: string;
  value: number;
}

/** A bar chart over time; `testId` lets the end-to-end test find it. */
export function TimeChart({
  points,
  unit,
  testId,
  color = '#2563eb',
}: {
  points: Point[];
  unit: 'requests' | 'usd';
  testId?: string;
  color?: string;
}) {
  const format = (v: number) =>
    unit !== 'usd' ? String(v) : v === 0 ? '$0' : v < 0.01 ? `$${v.toPrecision(2)}` : `$${v.toFixed(2)}`;
  return (
    <div className="chart" data-testid={testId}>
      <ResponsiveContainer width="100%" height={220}>
        <BarChart data={points} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid stroke="#e5e7eb" vertical={false} />
          <XAxis
            dataKey="label"
            tick={{ fontSize: 11, fill: '#6b7280' }}
            interval="preserveStartEnd"
            minTickGap={16}
          />
          <YAxis
            tick={{ fontSize: 11, fill: '#6b7280' }}
            tickFormatter={format}
            width={56}
            allowDecimals={unit === 'usd'}
          />
          <Tooltip
            formatter={(v) => [format(Number(v)), unit === 'usd' ? 'cost' : 'requests']}
            cursor={{ fill: '#f3f4f6' }}
          />
          <Bar dataKey="value" fill={color} radius={[3, 3, 0, 0]} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
