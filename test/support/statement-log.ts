/** Collects the SQL an ORM sends, to assert round trips and "nothing was sent". */
export class StatementLog {
  readonly statements: string[] = [];
  record = (sql: string): void => {
    this.statements.push(sql);
  };
  clear(): void {
    this.statements.length = 0;
  }
  /** Statement verbs in order, e.g. ['SELECT', 'SAVEPOINT', 'INSERT', 'RELEASE'] (a leading comment skipped: SQLite's RETURNING statements carry one). */
  verbs(): string[] {
    return this.statements.map((sql) =>
      sql
        .trim()
        .replace(/^\/\*[\s\S]*?\*\/\s*/, '')
        .split(/[\s;]+/)[0]
        .toUpperCase(),
    );
  }
}
