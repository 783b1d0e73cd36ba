// Figures for a source folder (issue 24 quotes them for packages/core/src): files and lines per
// folder, function lengths (median, longest), functions with 6+ positional parameters, lines over
// 100 characters. `node test/tools/core-figures.cjs packages/core/src [--files]`.
const ts = require(process.cwd() + '/node_modules/typescript');
const fs = require('fs'),
  path = require('path');
const root = process.argv[2];
const files = [];
(function walk(d) {
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) walk(p);
    else if (p.endsWith('.ts')) files.push(p);
  }
})(root);
const lengths = [];
let lines = 0,
  over = 0,
  longest = 0;
const folders = {};
const perFile = [];
for (const f of files.sort()) {
  const text = fs.readFileSync(f, 'utf8');
  const ls = text.split('\n');
  if (ls[ls.length - 1] === '') ls.pop();
  lines += ls.length;
  over += ls.filter((l) => l.length > 100).length;
  longest = Math.max(longest, ...ls.map((l) => l.length));
  const folder = path.relative(root, path.dirname(f)) || '.';
  folders[folder] = folders[folder] || { files: 0, lines: 0 };
  folders[folder].files++;
  folders[folder].lines += ls.length;
  perFile.push([path.relative(root, f), ls.length]);
  const sf = ts.createSourceFile(f, text, ts.ScriptTarget.Latest, true);
  (function visit(n) {
    const isFn =
      ts.isFunctionDeclaration(n) ||
      ts.isMethodDeclaration(n) ||
      ((ts.isArrowFunction(n) || ts.isFunctionExpression(n)) && ts.isVariableDeclaration(n.parent));
    if (isFn && n.body) {
      const s = sf.getLineAndCharacterOfPosition(n.getStart(sf)).line,
        e = sf.getLineAndCharacterOfPosition(n.end).line;
      const name =
        (n.name && n.name.getText(sf)) || (n.parent.name && n.parent.name.getText(sf)) || '?';
      lengths.push([e - s + 1, path.relative(root, f) + ' ' + name, n.parameters.length]);
    }
    ts.forEachChild(n, visit);
  })(sf);
}
lengths.sort((a, b) => a[0] - b[0]);
const median = lengths[Math.floor(lengths.length / 2)][0];
console.log(
  JSON.stringify(
    {
      sixPlusParams: lengths.filter((l) => l[2] >= 6).map((l) => l[1] + '(' + l[2] + ')'),
      files: files.length,
      lines,
      functions: lengths.length,
      median,
      longestFunctions: lengths.slice(-3),
      over100: over,
      over100pct: ((100 * over) / lines).toFixed(1),
      longestLine: longest,
      folders,
    },
    null,
    1,
  ),
);
if (process.argv[3]) for (const [f, n] of perFile) console.log(n, f);
