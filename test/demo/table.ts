import { styleText } from 'node:util';
import type { Outcome } from '../race/scenarios';
import type { DemoRace } from './options';

/** One approach of one race, as the table shows it. */
export interface DemoRow {
  race: DemoRace;
  outcome: Outcome;
}

type Style = Parameters<typeof styleText>[0];
interface Cell {
  text: string;
  style?: Style;
  align?: 'left' | 'right';
}

const ANOMALY_WIDTH = 64;

const headers: Cell[] = [
  { text: 'scenario' },
  { text: 'package' },
  { text: 'approach' },
  { text: 'calls', align: 'right' },
  { text: 'duplicates', align: 'right' },
  { text: 'lost updates', align: 'right' },
  { text: 'oversold', align: 'right' },
  { text: 'errors', align: 'right' },
  { text: 'rows', align: 'right' },
  { text: 'ops/s', align: 'right' },
  { text: 'p50 ms', align: 'right' },
  { text: 'p99 ms', align: 'right' },
  { text: 'anomalies' },
];

/** True when racesafe's outcome is the one shown (the rows that decide the exit code). */
export function isRacesafe(outcome: Outcome): boolean {
  return outcome.approach === 'racesafe';
}

/** A figure, or `-` where the scenario does not measure it; non-zero counts of harm are highlighted. */
function figure(outcome: Outcome, name: string, harmful: boolean): Cell {
  const value = outcome.figures[name];
  if (value === undefined) return { text: '-', align: 'right', style: 'dim' };
  const bad = harmful && value !== 0;
  return {
    text: String(value),
    align: 'right',
    style: bad ? (isRacesafe(outcome) ? ['bold', 'red'] : 'yellow') : undefined,
  };
}

function anomalies(outcome: Outcome): Cell {
  if (outcome.anomalies.length === 0)
    return { text: 'none', style: isRacesafe(outcome) ? 'green' : undefined };
  // The first anomaly in full, the count of the others (the summary below the table lists racesafe's in full).
  const [first, ...more] = outcome.anomalies;
  const text = more.length > 0 ? `${first} (+${more.length} more)` : first;
  const short = text.length > ANOMALY_WIDTH ? `${text.slice(0, ANOMALY_WIDTH - 1)}…` : text;
  return { text: short, style: isRacesafe(outcome) ? ['bold', 'red'] : 'yellow' };
}

function cells({ race, outcome }: DemoRow): Cell[] {
  const { report } = outcome;
  const right = (text: string): Cell => ({ text, align: 'right' });
  return [
    { text: race.label },
    { text: race.target },
    { text: outcome.approach, style: isRacesafe(outcome) ? 'bold' : undefined },
    right(`${report.calls.length} (${report.processes}x${report.callersPerProcess})`),
    figure(outcome, 'duplicates', true),
    figure(outcome, 'lostUpdates', true),
    figure(outcome, 'oversold', true),
    figure(outcome, 'errors', true),
    figure(outcome, 'rows', false),
    right(String(Math.round(report.opsPerSec))),
    right(report.p50Ms.toFixed(1)),
    right(report.p99Ms.toFixed(1)),
    anomalies(outcome),
  ];
}

/**
 * The demo's one table. Styles (node's util.styleText) only when `color` is true;
 * columns are padded on the plain text, so widths hold with or without them.
 */
export function renderTable(rows: DemoRow[], color: boolean): string {
  const grid = [headers, ...rows.map(cells)];
  const widths = headers.map((_, column) =>
    Math.max(...grid.map((line) => line[column].text.length)),
  );
  const paint = (cell: Cell, text: string) =>
    color && cell.style ? styleText(cell.style, text) : text;
  const line = (row: Cell[]) =>
    row
      .map((cell, column) => {
        const last = column === row.length - 1;
        const padded =
          cell.align === 'right'
            ? cell.text.padStart(widths[column])
            : last
              ? cell.text
              : cell.text.padEnd(widths[column]);
        return paint(cell, padded);
      })
      .join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const body: string[] = [];
  rows.forEach((row, i) => {
    // A blank line between scenarios keeps each racesafe/naive group together.
    if (i > 0 && row.race.label !== rows[i - 1].race.label) body.push('');
    body.push(line(cells(row)));
  });
  return [line(headers.map((h) => ({ ...h, style: 'bold' }))), rule, ...body].join('\n');
}
