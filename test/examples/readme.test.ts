// README's TypeScript snippets are excerpts of the example programs, which are
// type-checked (tsconfig includes examples/) and run by examples.test.ts. This test
// keeps the two from drifting apart: every ```ts block in README.md must be, verbatim,
// a `// #region readme-*` of some file under examples/, and every such region must be
// quoted in README.md. No database needed.
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

/** The body of every fenced ```ts block. */
function tsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) =>
    match[1].replace(/\n$/, ''),
  );
}

/** `// #region name` ... `// #endregion` bodies (nesting allowed), indentation removed. */
function regions(source: string): Map<string, string> {
  const found = new Map<string, string>();
  const open: { name: string; lines: string[] }[] = [];
  for (const line of source.split('\n')) {
    const start = /^\s*\/\/ #region (\S+)/.exec(line);
    if (start) {
      open.push({ name: start[1], lines: [] });
      continue;
    }
    if (/^\s*\/\/ #endregion\b/.test(line)) {
      const region = open.pop();
      if (!region) throw new Error(`#endregion without #region: ${line}`);
      found.set(region.name, dedent(region.lines));
      continue;
    }
    for (const region of open) region.lines.push(line);
  }
  if (open.length > 0) throw new Error(`unclosed #region ${open.map((r) => r.name).join(', ')}`);
  return found;
}

function dedent(lines: string[]): string {
  const indents = lines
    .filter((line) => line.trim() !== '')
    .map((line) => /^ */.exec(line)![0].length);
  const cut = Math.min(...indents, Infinity);
  return lines.map((line) => line.slice(cut === Infinity ? 0 : cut)).join('\n');
}

function exampleRegions(): { file: string; name: string; body: string }[] {
  const dir = path.join(root, 'examples');
  return fs
    .readdirSync(dir)
    .filter((file) => file.endsWith('.ts'))
    .flatMap((file) =>
      [...regions(fs.readFileSync(path.join(dir, file), 'utf8'))].map(([name, body]) => ({
        file: `examples/${file}`,
        name,
        body,
      })),
    );
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replace(/ /g, '-');
}

describe('README.md', () => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const blocks = tsBlocks(readme);
  const readmeRegions = exampleRegions().filter((region) => region.name.startsWith('readme'));

  it('has TypeScript snippets to check', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(4);
  });

  // Named after the block's first line of code (comments skipped).
  const title = (block: string) =>
    block.split('\n').find((line) => !/^\s*(\/\*\*|\*|\/\/|$)/.test(line)) ?? block;
  it.each(blocks.map((block) => [title(block), block]))(
    'quotes compiled example code verbatim: %s',
    (_firstLine, block) => {
      const match = readmeRegions.find((region) => region.body === block);
      if (!match) {
        throw new Error(
          `This README block is not a // #region readme-* of any file under examples/ (edit the example and copy the region):\n${block}`,
        );
      }
    },
  );

  it('quotes every readme region of the examples', () => {
    const unquoted = readmeRegions
      .filter((region) => !blocks.includes(region.body))
      .map((region) => `${region.file} #region ${region.name}`);
    expect(unquoted).toEqual([]);
  });
});

describe.each(['README.md', 'docs/guide.md'])('%s', (file) => {
  const markdown = fs.readFileSync(path.join(root, file), 'utf8');
  const links = [...markdown.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((match) => match[1])
    .filter((target) => !/^[a-z]+:/.test(target));

  it('has no TypeScript block that is not compiled example code', () => {
    const regionBodies = new Set(exampleRegions().map((region) => region.body));
    expect(tsBlocks(markdown).filter((block) => !regionBodies.has(block))).toEqual([]);
  });

  it('links only to files that exist', () => {
    // The chart is produced by `npm run bench`; everything else must be in the repository.
    const files = links
      .map((target) => target.split('#')[0])
      .filter((target) => target !== '' && target !== 'bench/results/chart.svg');
    expect(
      files.filter((target) => !fs.existsSync(path.join(root, path.dirname(file), target))),
    ).toEqual([]);
  });

  it('links only to headings that exist', () => {
    const anchors = new Set([...markdown.matchAll(/^#+ (.+)$/gm)].map((match) => slug(match[1])));
    expect(
      links.filter((target) => target.startsWith('#') && !anchors.has(target.slice(1))),
    ).toEqual([]);
  });
});

describe('region extraction', () => {
  it('dedents nested regions and ignores the markers', () => {
    const source = [
      'a',
      '  // #region outer',
      '  x',
      '    // #region inner',
      '    y',
      '    // #endregion',
      '  // #endregion',
    ].join('\n');
    expect(regions(source)).toEqual(
      new Map([
        ['inner', 'y'],
        ['outer', 'x\n  y'],
      ]),
    );
  });

  it('reads ts fences only', () => {
    expect(tsBlocks('```sh\nnpm test\n```\n```ts\nconst a = 1;\n\nconst b = 2;\n```\n')).toEqual([
      'const a = 1;\n\nconst b = 2;',
    ]);
  });
});
