import fs from 'node:fs';
import path from 'node:path';

/** Every link to docs/database-behaviours.md#<anchor> in the repository names one of its sections. */
const root = path.resolve(__dirname, '../..');
const doc = 'docs/database-behaviours.md';
const searched = ['packages', 'test', 'docs', 'bench', 'examples', 'README.md'];
const skipped = new Set(['node_modules', 'dist', 'api', 'results']);

function files(entry: string): string[] {
  const full = path.join(root, entry);
  if (!fs.statSync(full).isDirectory()) return /\.(ts|md|cjs|js)$/.test(entry) ? [entry] : [];
  return fs
    .readdirSync(full)
    .filter((name) => !skipped.has(name))
    .flatMap((name) => files(path.join(entry, name)));
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replace(/ /g, '-');
}

describe(doc, () => {
  const sections = fs
    .readFileSync(path.join(root, doc), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('## '))
    .map((line) => anchor(line.slice(3)));

  it('has one section per anchor, none twice', () => {
    expect(sections.length).toBeGreaterThan(10);
    expect(new Set(sections).size).toBe(sections.length);
  });

  it('is the target of every behaviour link in the code, tests and docs, and each names a section', () => {
    const links = searched.flatMap(files).flatMap((file) => {
      const text = fs.readFileSync(path.join(root, file), 'utf8');
      return [...text.matchAll(/database-behaviours\.md#([a-z0-9-]+)/g)].map((m) => ({
        file,
        anchor: m[1],
      }));
    });
    expect(links.length).toBeGreaterThan(40);
    expect(links.filter((link) => !sections.includes(link.anchor))).toEqual([]);
  });
});
