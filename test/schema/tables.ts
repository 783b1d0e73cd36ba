/**
 * The tables every scenario uses, in plain SQL so that both packages map the very same
 * schema (TypeORM entities in packages/typeorm/test/entities.ts, Sequelize models in
 * packages/sequelize/test/models.ts).
 */
export const schemaSql = `
CREATE TABLE users (
  id serial PRIMARY KEY,
  email text NOT NULL CONSTRAINT users_email_key UNIQUE,
  username text CONSTRAINT users_username_key UNIQUE,
  name text,
  plan text NOT NULL DEFAULT 'free',
  logins integer NOT NULL DEFAULT 0,
  visits integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);
-- The naive approaches run here: the same shape with no unique constraint, as in many apps.
CREATE TABLE naive_users (
  id serial PRIMARY KEY,
  email text NOT NULL,
  username text,
  name text,
  plan text NOT NULL DEFAULT 'free',
  logins integer NOT NULL DEFAULT 0,
  visits integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE memberships (
  id serial PRIMARY KEY,
  org text NOT NULL,
  member text,
  role text NOT NULL DEFAULT 'member',
  CONSTRAINT memberships_org_member_key UNIQUE NULLS NOT DISTINCT (org, member)
);
CREATE TABLE counters (
  id serial PRIMARY KEY,
  name text NOT NULL CONSTRAINT counters_name_key UNIQUE,
  value integer NOT NULL DEFAULT 0,
  view_count integer NOT NULL DEFAULT 0,
  big bigint NOT NULL DEFAULT 0,
  ratio double precision NOT NULL DEFAULT 1,
  label text NOT NULL DEFAULT ''
);
CREATE TABLE items (
  id serial PRIMARY KEY,
  sku text NOT NULL CONSTRAINT items_sku_key UNIQUE,
  stock integer NOT NULL CHECK (stock >= 0 OR sku LIKE 'unchecked%'),
  price numeric(10, 2) NOT NULL DEFAULT 0,
  title text
);
-- Models with hooks / listeners and validators (issue 9): a password hashed before insert,
-- a slug derived before insert, an email validated, a login count kept by update hooks.
CREATE TABLE accounts (
  id serial PRIMARY KEY,
  email text NOT NULL CONSTRAINT accounts_email_key UNIQUE,
  username text CONSTRAINT accounts_username_key UNIQUE,
  password text,
  name text,
  slug text,
  logins integer NOT NULL DEFAULT 0,
  note text
);
-- The naive approach of the hashing-hook race: the same shape and hooks, no unique constraint.
CREATE TABLE naive_accounts (
  id serial PRIMARY KEY,
  email text NOT NULL,
  username text,
  password text,
  name text,
  slug text,
  logins integer NOT NULL DEFAULT 0,
  note text
);
-- Every hook / listener / subscriber call lands here, written in the transaction it was given.
CREATE TABLE audit (
  id serial PRIMARY KEY,
  event text NOT NULL,
  email text
);
-- Soft delete with a unique key on live rows only: a deleted row's slug can be used again.
CREATE TABLE posts (
  id serial PRIMARY KEY,
  slug text NOT NULL,
  title text,
  views integer NOT NULL DEFAULT 0,
  deleted_at timestamptz
);
CREATE UNIQUE INDEX posts_slug_live ON posts (slug) WHERE deleted_at IS NULL;
-- Soft delete with a full unique key: a deleted row's slug can never be used again.
CREATE TABLE notes (
  id serial PRIMARY KEY,
  slug text NOT NULL CONSTRAINT notes_slug_key UNIQUE,
  body text,
  deleted_at timestamptz
);
-- Values the ORMs accept for a column (issue 9, item 7): arrays, JSON, SQL functions.
CREATE TABLE documents (
  id serial PRIMARY KEY,
  code text NOT NULL CONSTRAINT documents_code_key UNIQUE,
  tags text[],
  meta jsonb,
  list text,
  stamped_at timestamptz,
  title text
);
`;

/** Empties every table between tests. */
export const truncateSql =
  'TRUNCATE users, naive_users, memberships, counters, items, accounts, naive_accounts, audit, posts, notes, documents RESTART IDENTITY';

// The MariaDB / MySQL version of the same tables (and why it differs) lives beside this one.
export { mysqlSchemaSql, mysqlTables, mysqlTruncateSql } from './mysql-tables';
