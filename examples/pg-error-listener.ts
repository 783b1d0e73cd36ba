// The 'error' listener every PostgreSQL app should give node-postgres (docs/guide.md, "What
// racesafe promises under faults"), now an export of both packages: pgWithErrorListener(pg).
// The tests run every ORM with it, and test/harness/pg-error-listener.test.ts shows that it is
// enough: without it a backend terminated as its connection starts kills the process.
//
// Why: pg-pool hands a new client to TypeORM, and Sequelize's connection manager gets one from
// `client.connect()`, with no 'error' listener until a promise continuation attaches theirs. A
// backend terminated as its startup completes sends ReadyForQuery and the FATAL 57P01 in one
// packet: the client emits 'error' in that gap and, with no listener, the process dies.
// #region pg-error-listener
import pg from 'pg';
import { pgWithErrorListener } from '@racesafe/typeorm'; // or '@racesafe/sequelize': the same function

// TypeORM:   new DataSource({ type: 'postgres', driver: pgWithErrorListener(pg), ... })
// Sequelize: new Sequelize(url, { dialect: 'postgres', dialectModule: pgWithErrorListener(pg), ... })
export const guardedPg = pgWithErrorListener(pg);
// #endregion
