// Minimal types for the parts of `pg` the harness uses, because @types/pg is not a
// devDependency yet. Delete this file once it is (the two would conflict).
declare module 'pg' {
  export interface QueryResultRow {
    [column: string]: unknown;
  }
  export interface QueryResult<R extends QueryResultRow = QueryResultRow> {
    rows: R[];
    rowCount: number | null;
  }
  export interface ClientConfig {
    connectionString?: string;
  }
  export interface PoolConfig extends ClientConfig {
    max?: number;
  }
  interface Queryable {
    query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
  }
  export class Client implements Queryable {
    constructor(config?: string | ClientConfig);
    connect(): Promise<void>;
    query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
    end(): Promise<void>;
    on(event: 'error', listener: (error: Error) => void): this;
  }
  export interface PoolClient extends Queryable {
    release(error?: Error | boolean): void;
  }
  export class Pool implements Queryable {
    constructor(config?: PoolConfig);
    connect(): Promise<PoolClient>;
    query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
    end(): Promise<void>;
    on(event: 'error', listener: (error: Error) => void): this;
  }
}
