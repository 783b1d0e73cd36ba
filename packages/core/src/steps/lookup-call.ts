import type { UniqueKey } from '../dialects';
import type { ModelGateway, RowLifecycle } from '../gateway';

/**
 * What the steps of one call on one lookup share: the model, the lookup, the unique key that
 * covers it (lookupKey), and the ORM's create lifecycle (undefined when the ORM runs nothing).
 */
export interface LookupCall<Row> {
  gateway: ModelGateway<Row>;
  lookup: Record<string, unknown>;
  key: UniqueKey;
  lifecycle: RowLifecycle<Row> | undefined;
}
