/**
 * The parts of a quoted, possibly qualified, table name as the ORMs write it (`"billing"."invoices"`,
 * `` `shop`.`order` ``, `"a""b"`, `[x]`, `plain`), each unquoted with its doubled quotes undone:
 * a catalog is asked by names, never by the quoted SQL text.
 *
 * @example
 * identifierParts('"billing"."in""voices"'); // ['billing', 'in"voices']
 */
export function identifierParts(quoted: string): string[] {
  const parts: string[] = [];
  let i = 0;
  while (i < quoted.length) {
    const open = quoted[i];
    const close = open === '"' ? '"' : open === '`' ? '`' : open === '[' ? ']' : undefined;
    let part = '';
    if (close === undefined) {
      // A bare part runs to the next dot.
      const dot = quoted.indexOf('.', i);
      part = quoted.slice(i, dot === -1 ? quoted.length : dot);
      i = dot === -1 ? quoted.length : dot;
    } else {
      i++;
      while (i < quoted.length) {
        if (quoted[i] === close && quoted[i + 1] === close && close !== ']') {
          part += close;
          i += 2;
        } else if (quoted[i] === close) {
          i++;
          break;
        } else {
          part += quoted[i++];
        }
      }
    }
    parts.push(part);
    if (quoted[i] === '.') i++;
  }
  return parts;
}
