import type { ModelGateway } from '../gateway';

/** Bound parameters of one statement, numbered the dialect's way. */
export class Parameters {
  readonly values: unknown[] = [];
  constructor(private readonly placeholder: (index: number) => string) {}
  /** Binds a value; returns its placeholder. */
  readonly add = (value: unknown): string => {
    this.values.push(value);
    return this.placeholder(this.values.length);
  };
}

/**
 * Fresh bound parameters for one statement of this gateway, numbered as its query method expects.
 */
export function parametersFor(gateway: ModelGateway<unknown>): Parameters {
  return new Parameters(gateway.placeholder ?? gateway.dialect.placeholder);
}

/** The placeholder of a statement's only parameter, for the dialect's SQL builders. */
export function onlyPlaceholder(gateway: ModelGateway<unknown>): string {
  return (gateway.placeholder ?? gateway.dialect.placeholder)(1);
}
