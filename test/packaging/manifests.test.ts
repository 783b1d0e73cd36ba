// What npm shows and resolves for each package: package.json fields, the package README
// (install line with the peer dependencies, the README example verbatim, links that resolve
// in this repository) and the LICENSE. No database.
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
const PACKAGES = ['core', 'typeorm', 'sequelize', 'eslint-plugin', 'nestjs'];
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');
const manifest = (name: string) => JSON.parse(read(`packages/${name}/package.json`));

/** https://github.com/<owner>/<repo>/blob/main/ from the repository field. */
function blobBase(name: string): string {
  const url: string = manifest(name).repository.url;
  return `${url.replace(/^git\+/, '').replace(/\.git$/, '')}/blob/main/`;
}

describe.each(PACKAGES)('@racesafe/%s', (name) => {
  const pkg = manifest(name);
  const readme = read(`packages/${name}/README.md`);

  it('has the fields npm shows and resolves, the same in every package', () => {
    expect(pkg).toMatchObject({
      name: `@racesafe/${name}`,
      license: 'MIT',
      repository: {
        type: 'git',
        url: expect.stringMatching(/^git\+https:\/\/.+\.git$/),
        directory: `packages/${name}`,
      },
      engines: { node: JSON.parse(read('package.json')).engines.node },
      sideEffects: false,
      main: 'dist/index.js',
      types: 'dist/index.d.ts',
      publishConfig: { access: 'public' },
    });
    expect(pkg.keywords).toEqual(
      expect.arrayContaining([
        'racesafe',
        'get or create',
        ...(name === 'nestjs' ? ['nestjs'] : ['race condition', 'postgresql']),
      ]),
    );
    expect(pkg.version).toBe(JSON.parse(read('lerna.json')).version);
  });

  it('has an exports map with types first, one CommonJS build for require and import, and package.json', () => {
    // @racesafe/nestjs has a subpath per ORM's Nest module, so that an app loads only its own.
    const subpaths = name === 'nestjs' ? ['typeorm', 'sequelize'] : [];
    const entries = Object.fromEntries(
      subpaths.map((sub) => [
        `./${sub}`,
        { types: `./dist/${sub}.d.ts`, default: `./dist/${sub}.js` },
      ]),
    );
    expect(pkg.exports).toEqual({
      '.': { types: './dist/index.d.ts', default: './dist/index.js' },
      ...entries,
      './package.json': './package.json',
    });
    for (const entry of ['.', ...subpaths.map((sub) => `./${sub}`)])
      expect(Object.keys(pkg.exports[entry])[0]).toBe('types');
  });

  it('ships no source maps (the sources are not shipped)', () => {
    expect(JSON.parse(read(`packages/${name}/tsconfig.json`)).compilerOptions).toMatchObject({
      sourceMap: false,
    });
    expect(pkg.files).toEqual(['dist/**/*.js', 'dist/**/*.d.ts', 'CHANGELOG.md']);
  });

  it('has the LICENSE of the repository', () => {
    expect(read(`packages/${name}/LICENSE`)).toBe(read('LICENSE'));
  });

  it('README links only to files and headings that exist in this repository', () => {
    const base = blobBase(name);
    const links = [...readme.matchAll(/\]\((https:[^)\s]+)\)/g)]
      .map((match) => match[1])
      .filter((link) => link.startsWith(base));
    expect(links.length).toBeGreaterThanOrEqual(3);
    const broken = links.filter((link) => {
      const [file, anchor] = link.slice(base.length).split('#');
      if (!fs.existsSync(path.join(root, file))) return true;
      return (
        anchor !== undefined &&
        !read(file)
          .split('\n')
          .some((line) => /^#+ /.test(line) && slug(line.replace(/^#+ /, '')) === anchor)
      );
    });
    expect(broken).toEqual([]);
    expect(links).toContain(`${base}docs/guide.md`);
    expect(links).toContain(`${base}docs/api/README.md`);
  });
});

describe.each(['typeorm', 'sequelize'])('@racesafe/%s README', (name) => {
  const readme = read(`packages/${name}/README.md`);

  it('installs the package with its peer dependencies and a PostgreSQL driver', () => {
    const install = /^npm install (.+)$/m.exec(readme)?.[1].split(' ') ?? [];
    expect(install).toEqual(
      expect.arrayContaining([
        `@racesafe/${name}`,
        ...Object.keys(manifest(name).peerDependencies),
        'pg',
      ]),
    );
    expect(install.join(' ')).not.toContain('@racesafe/core');
  });

  it("quotes the project README's ten-line example and its PostgreSQL set-up verbatim (each a compiled example region)", () => {
    const blocks = [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1]);
    expect(blocks).toHaveLength(2);
    for (const block of blocks) expect(read('README.md')).toContain(`\`\`\`ts\n${block}\`\`\``);
    expect(blocks[0]).toContain(`from '@racesafe/${name}'`);
    // The set-up gives the ORM node-postgres with the package's 'error' listener (issue 21, item 4).
    expect(blocks[1]).toContain(`import { pgWithErrorListener } from '@racesafe/${name}';`);
    expect(blocks[1]).toContain('pgWithErrorListener(pg)');
  });
});

it('@racesafe/core README says it is an implementation detail, not to depend on', () => {
  expect(read('packages/core/README.md')).toMatch(
    /\*\*An implementation detail of racesafe: do not depend on it directly\.\*\*/,
  );
});

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replace(/ /g, '-');
}
