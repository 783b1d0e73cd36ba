import { Presets, SingleBar } from 'cli-progress';

/** The demo's progress bar over every call of every race (on stderr, so stdout holds only the table). */
export interface Progress {
  /** A race begins: `calls` more calls, shown under `label`. */
  startRace(label: string, calls: number): void;
  /** Calls done so far in the current race. */
  update(done: number): void;
  stop(): void;
}

/**
 * A cli-progress bar. When stderr is no terminal (CI, a pipe) cli-progress draws
 * nothing, so one plain line per race is written instead.
 */
export function createProgress(totalCalls: number): Progress {
  const stream = process.stderr;
  const bar = new SingleBar(
    {
      stream,
      format: '{bar} {percentage}% | {value}/{total} calls | {race}',
      hideCursor: true,
      clearOnComplete: true,
    },
    Presets.shades_classic,
  );
  const interactive = stream.isTTY === true;
  let offset = 0;
  let raceCalls = 0;
  let running = false;
  return {
    startRace(label, calls) {
      offset += raceCalls;
      raceCalls = calls;
      if (!interactive) stream.write(`racing: ${label} (${calls} calls)\n`);
      if (running) bar.update(offset, { race: label });
      else bar.start(totalCalls, offset, { race: label });
      running = true;
    },
    update(done) {
      bar.update(offset + done);
    },
    stop() {
      if (running) bar.stop();
      running = false;
    },
  };
}
