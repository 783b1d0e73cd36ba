import type * as Vega from 'vega';
import type { TopLevelSpec } from 'vega-lite' with { 'resolution-mode': 'import' };
import { groups } from './cases';
import type { CaseResult } from './report';
import type { Mode } from './schedule';

// vega and vega-lite are ESM-only; TypeScript (module: commonjs) would turn a literal
// `import()` into `require()`, so the import is hidden from the compiler.
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- a real import() of an ES module; TypeScript would compile import() to require() under CommonJS
const importEsm = new Function('specifier', 'return import(specifier)') as <T>(
  specifier: string,
) => Promise<T>;

/** The bench results as a Vega-Lite spec: median ops/s per implementation, one panel per operation, one bar per mode. */
export function chartSpec(results: CaseResult[], modes: Mode[], title: string): TopLevelSpec {
  const callers = (mode: Mode) =>
    mode.processes === 1
      ? `${mode.callers} caller${mode.callers === 1 ? '' : 's'}`
      : `${mode.processes} processes x ${mode.callers} callers`;
  const values = results.flatMap((r) =>
    r.modes.map((run) => ({
      operation: r.operation,
      implementation: `${r.name} (${r.roundTrips.min === r.roundTrips.max ? r.roundTrips.max : r.roundTrips.perCall.toFixed(1)} RT)`,
      callers: callers(modes.find((mode) => mode.id === run.mode)!),
      opsPerSec: Math.round(run.opsPerSec),
      floor: r.floor,
      label: r.baseline
        ? `${Math.round(run.opsPerSec)}/s`
        : `${Math.round(run.opsPerSec)}/s  ${run.ratioToRaw.median.toFixed(2)}x raw`,
    })),
  );
  const encoding = {
    y: {
      field: 'implementation',
      type: 'nominal',
      sort: null,
      title: null,
      axis: { labelLimit: 480 },
    },
    yOffset: { field: 'callers', type: 'nominal', sort: modes.map(callers) },
    x: { field: 'opsPerSec', type: 'quantitative', title: 'calls per second (higher is better)' },
  } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, anchor: 'start' },
    background: 'white',
    data: { values },
    facet: {
      row: {
        field: 'operation',
        type: 'nominal',
        sort: Object.values(groups).map((g) => g.title),
        title: null,
        header: {
          labelAngle: 0,
          labelAnchor: 'start',
          labelOrient: 'top',
          labelFontWeight: 'bold',
          labelFontSize: 12,
        },
      },
    },
    spec: {
      width: 460,
      height: { step: 11 },
      layer: [
        {
          mark: 'bar',
          encoding: {
            ...encoding,
            color: { field: 'callers', type: 'nominal', title: 'mode', sort: modes.map(callers) },
            // The ORM floors (racesafe's statement through the ORM's query method) are references, drawn pale.
            opacity: { condition: { test: 'datum.floor', value: 0.35 }, value: 1 },
          },
        },
        {
          mark: { type: 'text', align: 'left', dx: 3, fontSize: 9 },
          encoding: { ...encoding, text: { field: 'label' } },
        },
      ],
    },
    resolve: { scale: { y: 'independent', x: 'independent' } },
    config: { view: { stroke: null }, axis: { labelFontSize: 10 } },
  };
}

/** Renders the spec to SVG headlessly (vega's SVG renderer needs no canvas or browser). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const vega = await importEsm<typeof Vega>('vega');
  const vegaLite = await importEsm<{
    compile(spec: TopLevelSpec, options: { logger: unknown }): { spec: Vega.Spec };
  }>('vega-lite');
  // vega-lite warns that the facets' independent scales share a field: intended here.
  const quiet = vega.logger(vega.Error);
  const view = new vega.View(vega.parse(vegaLite.compile(spec, { logger: quiet }).spec), {
    renderer: 'none',
    logger: quiet,
  });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
