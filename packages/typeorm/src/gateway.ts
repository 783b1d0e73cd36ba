import { type ColumnInfo, type ModelGateway, type Session, dialectFor, takeTurn } from '@racesafe/core';
import type { EntityMetadata, ObjectLiteral, QueryRunner, Repository } from 'typeorm';
import { typeormLifecycle } from './lifecycle';

/** TypeORM does not export ColumnMetadata from its index in every version. */
type ColumnMetadata = EntityMetadata['columns'][number];

const numericTypes = /^(int|int2|int4|int8|integer|smallint|bigint|numeric|decimal|real|float|float4|float8|double precision|money)$/;

interface EntityInfo {
  columns: ColumnInfo[];
  byProperty: Map<string, { info: ColumnInfo; metadata: ColumnMetadata }>;
  tableSql: string;
}

// Column maps are derived from metadata once per entity and data source.
const entityInfos = new WeakMap<EntityMetadata, EntityInfo>();

function entityInfo(metadata: EntityMetadata): EntityInfo {
  let info = entityInfos.get(metadata);
  if (info) return info;
  const driver = metadata.connection.driver;
  const byProperty = new Map<string, { info: ColumnInfo; metadata: ColumnMetadata }>();
  for (const column of metadata.columns) {
    if (column.isVirtual) continue;
    const columnInfo: ColumnInfo = {
      property: column.propertyPath,
      column: column.databaseName,
      quoted: driver.escape(column.databaseName),
      numeric: numericTypes.test(String(driver.normalizeType(column)).toLowerCase()),
      primary: column.isPrimary,
    };
    byProperty.set(column.propertyPath, { info: columnInfo, metadata: column });
  }
  const tableSql = metadata.tablePath.split('.').map((part) => driver.escape(part)).join('.');
  info = { columns: [...byProperty.values()].map((c) => c.info), byProperty, tableSql };
  entityInfos.set(metadata, info);
  return info;
}

function sessionOf(queryRunner: QueryRunner, inTransaction: boolean, shared?: QueryRunner): Session {
  return {
    inTransaction,
    shared,
    native: queryRunner,
    async query(sql, parameters) {
      const result = await queryRunner.query(sql, parameters, true);
      const rows = Array.isArray(result.records) ? (result.records as Record<string, unknown>[]) : [];
      return { rows, rowCount: result.affected ?? rows.length };
    },
  };
}

/** The query runner the repository is bound to: `manager.withRepository(...)` inside a transaction. */
export function boundQueryRunner(repository: Repository<ObjectLiteral>): QueryRunner | undefined {
  const queryRunner = repository.queryRunner ?? repository.manager.queryRunner;
  return queryRunner && !queryRunner.isReleased ? queryRunner : undefined;
}

/**
 * Runs work on a query runner of racesafe's own on the primary, released afterwards. A query
 * runner holds one pooled connection; racesafe never asks for a second while holding it.
 */
export async function withQueryRunner<T>(repository: Repository<ObjectLiteral>, work: (runner: QueryRunner) => Promise<T>): Promise<T> {
  const runner = repository.manager.connection.createQueryRunner('master');
  try {
    return await work(runner);
  } finally {
    await runner.release();
  }
}

/**
 * Adapts a TypeORM repository to racesafe's algorithms: property names from entity
 * metadata, values converted by the driver (transformers included), statements on the
 * repository's transaction or on a query runner of racesafe's own, always on the primary.
 */
export function typeormGateway<Entity extends ObjectLiteral>(repository: Repository<Entity>): ModelGateway<Entity> {
  let gateway = gateways.get(repository);
  if (!gateway) gateways.set(repository, (gateway = createGateway(repository)));
  return gateway as ModelGateway<Entity>;
}

// One gateway per repository object (`withRepository` makes a new one per transaction).
const gateways = new WeakMap<Repository<ObjectLiteral>, ModelGateway<ObjectLiteral>>();

function createGateway<Entity extends ObjectLiteral>(repository: Repository<Entity>): ModelGateway<Entity> {
  const { metadata } = repository;
  const dataSource = repository.manager.connection;
  const driver = dataSource.driver;
  const info = entityInfo(metadata);
  // Looked up on every call: a query runner can be released after the repository was made.
  const bound = () => boundQueryRunner(repository);
  const columnMetadata = (property: string) => info.byProperty.get(property)?.metadata;

  const withOwnRunner = <T>(work: (runner: QueryRunner) => Promise<T>) => withQueryRunner(repository, work);

  function insertValues(values: Record<string, unknown>): Record<string, unknown> {
    const version = metadata.versionColumn;
    // TypeORM's own insert starts the version at 1; dates come from the column DEFAULTs.
    return version && values[version.propertyPath] === undefined ? { ...values, [version.propertyPath]: 1 } : values;
  }
  /** Sets a stored row's values on an entity, converted by the driver as TypeORM hydrates them. */
  function fill(entity: Entity, raw: Record<string, unknown>): void {
    for (const { metadata: column } of info.byProperty.values()) {
      if (column.databaseName in raw) column.setEntityValue(entity, driver.prepareHydratedValue(raw[column.databaseName], column));
    }
  }
  const lifecycleValues = { columns: [...info.byProperty.values()].map((c) => c.metadata), insertValues, fill };

  return {
    dialect: dialectFor(driver.options.type),
    modelName: metadata.name,
    tableSql: info.tableSql,
    catalogScope: dataSource,
    columns: () => info.columns,
    column: (property) => info.byProperty.get(property)?.info,
    bindValue: (property, value, addParameter) => addParameter(driver.preparePersistentValue(value, columnMetadata(property)!)),
    isOperator: (value) => (value as ObjectLiteral)['@instanceof'] === Symbol.for('FindOperator'),
    insertValues,
    updateAssignments() {
      const assignments: { property: string; sql: string }[] = [];
      if (metadata.updateDateColumn) assignments.push({ property: metadata.updateDateColumn.propertyPath, sql: 'CURRENT_TIMESTAMP' });
      const version = metadata.versionColumn;
      if (version) assignments.push({ property: version.propertyPath, sql: `${driver.escape(version.databaseName)} + 1` });
      return assignments;
    },
    lifecycle: (options) => typeormLifecycle(metadata, options, lifecycleValues),
    softDeleteColumn: metadata.deleteDateColumn ? info.byProperty.get(metadata.deleteDateColumn.propertyPath)?.info : undefined,
    readValue: (row, property) => columnMetadata(property)?.getEntityValue(row),
    hydrate(raw) {
      const entity = metadata.create(undefined, { fromDeserializer: true }) as Entity;
      fill(entity, raw);
      return entity;
    },
    callerTransaction() {
      const runner = bound();
      return runner?.isTransactionActive ? sessionOf(runner, true, runner) : undefined;
    },
    autocommit(work) {
      const runner = bound();
      // The caller's query runner (no transaction open on it): racesafe calls on it take turns.
      return runner ? takeTurn(runner, () => work(sessionOf(runner, false))) : withOwnRunner((own) => work(sessionOf(own, false)));
    },
    async transaction(work) {
      const run = async (runner: QueryRunner) => {
        await runner.startTransaction();
        try {
          const result = await work(sessionOf(runner, true));
          await runner.commitTransaction();
          return result;
        } catch (error) {
          await runner.rollbackTransaction();
          throw error;
        }
      };
      const runner = bound();
      return runner ? takeTurn(runner, () => run(runner)) : withOwnRunner(run);
    },
  };
}
