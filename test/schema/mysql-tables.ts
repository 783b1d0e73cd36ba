/**
 * The tables of `schemaSql` (tables.ts) for MariaDB / MySQL: the same tables, columns and
 * constraint names wherever MariaDB can express them, InnoDB and utf8mb4 with the server's
 * default collation for it (MariaDB: utf8mb4_general_ci, case-insensitive and PAD SPACE, so
 * 'Bob', 'bob ' and 'BOB' are one key: docs/database-behaviours.md#mysql-collations-make-different-strings-one-key). Several statements: run it on a connection
 * with `multipleStatements` (applyMysqlSchema does).
 *
 * Differences from PostgreSQL, all forced by MariaDB 10.11:
 * - `serial` is `INT AUTO_INCREMENT`; `timestamptz` is `DATETIME(6)` (no time zone stored);
 *   `jsonb` is `JSON` (MariaDB: LONGTEXT with a JSON_VALID check).
 * - A unique or looked-up text column is `VARCHAR(191)` (an index needs a length; 191
 *   characters of utf8mb4 fit the 767-byte key prefix of older row formats), and so is a text
 *   column with a DEFAULT (MySQL 8 allows no literal DEFAULT on TEXT). Other text stays TEXT.
 * - `documents.tags` (`text[]` there) is JSON: neither server has an array type.
 * - `memberships_org_member_key` is a plain UNIQUE (org, member): MariaDB has no
 *   `NULLS NOT DISTINCT`, so any number of (org, NULL) rows are allowed here.
 * - `posts_slug_live` is a full UNIQUE (slug): MariaDB has no partial index (`WHERE
 *   deleted_at IS NULL`), so a soft-deleted post's slug cannot be reused here. (A unique key
 *   on a generated column `IF(deleted_at IS NULL, slug, NULL)` would emulate it, at the price
 *   of an extra column the ORMs would see.)
 */
export const mysqlSchemaSql = `
CREATE TABLE users (
  id INT AUTO_INCREMENT PRIMARY KEY,
  email VARCHAR(191) NOT NULL,
  username VARCHAR(191),
  name TEXT,
  plan VARCHAR(191) NOT NULL DEFAULT 'free',
  logins INT NOT NULL DEFAULT 0,
  visits INT NOT NULL DEFAULT 0,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  CONSTRAINT users_email_key UNIQUE (email),
  CONSTRAINT users_username_key UNIQUE (username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
-- The naive approaches run here: the same shape with no unique constraint, as in many apps.
CREATE TABLE naive_users (
  id INT AUTO_INCREMENT PRIMARY KEY,
  email VARCHAR(191) NOT NULL,
  username VARCHAR(191),
  name TEXT,
  plan VARCHAR(191) NOT NULL DEFAULT 'free',
  logins INT NOT NULL DEFAULT 0,
  visits INT NOT NULL DEFAULT 0,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE memberships (
  id INT AUTO_INCREMENT PRIMARY KEY,
  org VARCHAR(191) NOT NULL,
  member VARCHAR(191),
  role VARCHAR(191) NOT NULL DEFAULT 'member',
  CONSTRAINT memberships_org_member_key UNIQUE (org, member)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE counters (
  id INT AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(191) NOT NULL,
  value INT NOT NULL DEFAULT 0,
  view_count INT NOT NULL DEFAULT 0,
  big BIGINT NOT NULL DEFAULT 0,
  ratio DOUBLE NOT NULL DEFAULT 1,
  label VARCHAR(191) NOT NULL DEFAULT '',
  CONSTRAINT counters_name_key UNIQUE (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
-- Table-level and named as PostgreSQL names it: a column-level CHECK may only use its column.
CREATE TABLE items (
  id INT AUTO_INCREMENT PRIMARY KEY,
  sku VARCHAR(191) NOT NULL,
  stock INT NOT NULL,
  price DECIMAL(10, 2) NOT NULL DEFAULT 0,
  title TEXT,
  CONSTRAINT items_sku_key UNIQUE (sku),
  CONSTRAINT items_stock_check CHECK (stock >= 0 OR sku LIKE 'unchecked%')
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
-- Models with hooks / listeners and validators (issue 9): see tables.ts.
CREATE TABLE accounts (
  id INT AUTO_INCREMENT PRIMARY KEY,
  email VARCHAR(191) NOT NULL,
  username VARCHAR(191),
  password TEXT,
  name TEXT,
  slug VARCHAR(191),
  logins INT NOT NULL DEFAULT 0,
  note TEXT,
  CONSTRAINT accounts_email_key UNIQUE (email),
  CONSTRAINT accounts_username_key UNIQUE (username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE naive_accounts (
  id INT AUTO_INCREMENT PRIMARY KEY,
  email VARCHAR(191) NOT NULL,
  username VARCHAR(191),
  password TEXT,
  name TEXT,
  slug VARCHAR(191),
  logins INT NOT NULL DEFAULT 0,
  note TEXT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE audit (
  id INT AUTO_INCREMENT PRIMARY KEY,
  event VARCHAR(191) NOT NULL,
  email VARCHAR(191)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
-- PostgreSQL: unique on live rows only. Here: on every row (no partial index, see above).
CREATE TABLE posts (
  id INT AUTO_INCREMENT PRIMARY KEY,
  slug VARCHAR(191) NOT NULL,
  title TEXT,
  views INT NOT NULL DEFAULT 0,
  deleted_at DATETIME(6),
  CONSTRAINT posts_slug_live UNIQUE (slug)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE notes (
  id INT AUTO_INCREMENT PRIMARY KEY,
  slug VARCHAR(191) NOT NULL,
  body TEXT,
  deleted_at DATETIME(6),
  CONSTRAINT notes_slug_key UNIQUE (slug)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
-- tags is a JSON array here: there is no array type.
CREATE TABLE documents (
  id INT AUTO_INCREMENT PRIMARY KEY,
  code VARCHAR(191) NOT NULL,
  tags JSON,
  meta JSON,
  list TEXT,
  stamped_at DATETIME(6),
  title TEXT,
  CONSTRAINT documents_code_key UNIQUE (code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
`;

/** Every table of {@link mysqlSchemaSql}, in the order the schema creates them. */
export const mysqlTables = [
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

/**
 * Empties every table between tests and resets AUTO_INCREMENT (PostgreSQL's
 * `TRUNCATE ... RESTART IDENTITY`). MariaDB truncates one table per statement, so this is
 * several statements: run it with `multipleStatements`, or run `mysqlTables` one by one.
 */
export const mysqlTruncateSql = mysqlTables.map((table) => `TRUNCATE TABLE ${table};`).join('\n');
