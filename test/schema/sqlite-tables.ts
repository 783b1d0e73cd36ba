/**
 * The tables of `schemaSql` (tables.ts) for SQLite: the same tables, columns and key names,
 * and the file switched to WAL (a setting the file keeps: every later connection uses it).
 * Several statements: run it with better-sqlite3's `exec` (applySqliteSchema does).
 *
 * Differences from PostgreSQL, all forced by SQLite:
 * - `serial PRIMARY KEY` is `INTEGER PRIMARY KEY` (the rowid: after `DELETE FROM`, ids start
 *   at 1 again, as `TRUNCATE ... RESTART IDENTITY` does). Types are affinities: `timestamptz` is
 *   DATETIME (text `CURRENT_TIMESTAMP`, UTC, whole seconds; the declared name is what tells
 *   Sequelize's sqlite dialect to parse the column into a Date, as its own findOne does), `numeric(10, 2)` NUMERIC, `double precision`
 *   REAL, `bigint` INTEGER.
 * - Every unique key is a named `CREATE UNIQUE INDEX` with PostgreSQL's constraint name: SQLite
 *   keeps no name for a UNIQUE constraint (its index is `sqlite_autoindex_<table>_<n>`), and
 *   racesafe reports the index name as `ConflictError.constraint`.
 * - `memberships_org_member_key` is a plain unique index: SQLite has no `NULLS NOT DISTINCT`, so
 *   any number of (org, NULL) rows are allowed here (as on MariaDB).
 * - `documents.tags` (`text[]` there) and `meta` (`jsonb`) are TEXT holding JSON, as on MariaDB.
 * - `posts_slug_live` is a partial unique index, as on PostgreSQL.
 */
export const sqliteSchemaSql = `
PRAGMA journal_mode = WAL;
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL,
  username TEXT,
  name TEXT,
  plan TEXT NOT NULL DEFAULT 'free',
  logins INTEGER NOT NULL DEFAULT 0,
  visits INTEGER NOT NULL DEFAULT 0,
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE UNIQUE INDEX users_username_key ON users (username);
-- The naive approaches run here: the same shape with no unique constraint, as in many apps.
CREATE TABLE naive_users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL,
  username TEXT,
  name TEXT,
  plan TEXT NOT NULL DEFAULT 'free',
  logins INTEGER NOT NULL DEFAULT 0,
  visits INTEGER NOT NULL DEFAULT 0,
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE memberships (
  id INTEGER PRIMARY KEY,
  org TEXT NOT NULL,
  member TEXT,
  role TEXT NOT NULL DEFAULT 'member'
);
CREATE UNIQUE INDEX memberships_org_member_key ON memberships (org, member);
CREATE TABLE counters (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  value INTEGER NOT NULL DEFAULT 0,
  view_count INTEGER NOT NULL DEFAULT 0,
  big INTEGER NOT NULL DEFAULT 0,
  ratio REAL NOT NULL DEFAULT 1,
  label TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX counters_name_key ON counters (name);
CREATE TABLE items (
  id INTEGER PRIMARY KEY,
  sku TEXT NOT NULL,
  stock INTEGER NOT NULL,
  price NUMERIC NOT NULL DEFAULT 0,
  title TEXT,
  CONSTRAINT items_stock_check CHECK (stock >= 0 OR sku LIKE 'unchecked%')
);
CREATE UNIQUE INDEX items_sku_key ON items (sku);
-- Models with hooks / listeners and validators (issue 9): see tables.ts.
CREATE TABLE accounts (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL,
  username TEXT,
  password TEXT,
  name TEXT,
  slug TEXT,
  logins INTEGER NOT NULL DEFAULT 0,
  note TEXT
);
CREATE UNIQUE INDEX accounts_email_key ON accounts (email);
CREATE UNIQUE INDEX accounts_username_key ON accounts (username);
CREATE TABLE naive_accounts (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL,
  username TEXT,
  password TEXT,
  name TEXT,
  slug TEXT,
  logins INTEGER NOT NULL DEFAULT 0,
  note TEXT
);
CREATE TABLE audit (
  id INTEGER PRIMARY KEY,
  event TEXT NOT NULL,
  email TEXT
);
-- Soft delete with a unique key on live rows only: a deleted row's slug can be used again.
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  slug TEXT NOT NULL,
  title TEXT,
  views INTEGER NOT NULL DEFAULT 0,
  deleted_at DATETIME
);
CREATE UNIQUE INDEX posts_slug_live ON posts (slug) WHERE deleted_at IS NULL;
-- Soft delete with a full unique key: a deleted row's slug can never be used again.
CREATE TABLE notes (
  id INTEGER PRIMARY KEY,
  slug TEXT NOT NULL,
  body TEXT,
  deleted_at DATETIME
);
CREATE UNIQUE INDEX notes_slug_key ON notes (slug);
-- tags and meta hold JSON text: there is no array or JSON type.
CREATE TABLE documents (
  id INTEGER PRIMARY KEY,
  code TEXT NOT NULL,
  tags TEXT,
  meta TEXT,
  list TEXT,
  stamped_at DATETIME,
  title TEXT
);
CREATE UNIQUE INDEX documents_code_key ON documents (code);
`;

/** Every table of {@link sqliteSchemaSql}, in the order the schema creates them. */
export const sqliteTables = [
  'users',
  'naive_users',
  'memberships',
  'counters',
  'items',
  'accounts',
  'naive_accounts',
  'audit',
  'posts',
  'notes',
  'documents',
] as const;

/** Empties every table between tests (SQLite has no TRUNCATE; rowids start at 1 again on an empty table). One statement per table. */
export const sqliteTruncateStatements = sqliteTables.map((table) => `DELETE FROM ${table}`);
