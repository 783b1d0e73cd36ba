// An ES module TypeScript consumer, type-checked (tsc --noEmit, strict, moduleResolution
// node16) against the installed tarballs: named imports from the CommonJS build, the option
// and error types users need from the package they installed, none from @racesafe/core.
import {
  ConflictError,
  F,
  raceSafe,
  RaceSafeError,
  type GetOrCreateOptions,
  type RaceSafeRepository,
} from '@racesafe/typeorm';
import { EntitySchema, type DataSource } from 'typeorm';

interface Page {
  id: number;
  slug: string;
  owner: string | null;
  views: number;
}

const PageSchema = new EntitySchema<Page>({
  name: 'Page',
  tableName: 'pages',
  columns: {
    id: { type: 'int', primary: true, generated: true },
    slug: { type: 'text' },
    owner: { type: 'text', nullable: true },
    views: { type: 'int' },
  },
});

export async function visit(dataSource: DataSource, slug: string): Promise<string> {
  const pages: RaceSafeRepository<Page> = raceSafe(dataSource.getRepository(PageSchema));
  const options: GetOrCreateOptions<Page> = { defaults: { views: 0 } };
  try {
    const [page, created] = await pages.getOrCreate({ slug }, options);
    const [updated]: [Page, boolean] = await pages.updateOrCreate(
      { slug },
      { defaults: { owner: null } },
    );
    const count: number = await pages.atomicUpdate({ id: page.id }, { views: F('views').plus(1) });
    return `${created} ${updated.views} ${count}`;
  } catch (error) {
    if (error instanceof ConflictError) return `taken: ${error.constraint ?? ''}`;
    if (error instanceof RaceSafeError)
      return `${error.name}: ${error.code ?? ''} ${error.fields.join(',')}`;
    throw error;
  }
}

/**
 * Mistakes the installed declarations refuse at compile time, with TypeScript 5.9 and 7 alike: each
 * `@ts-expect-error` must meet an error, or the project fails on the unused directive. Never run.
 */
export async function mistakes(pages: RaceSafeRepository<Page>): Promise<void> {
  // @ts-expect-error 'viewz' is not a property of Page
  await pages.atomicUpdate({ slug: 'home' }, { views: F('viewz').plus(1) });
  // @ts-expect-error F in defaults without createDefaults: a new row has no current value to compute from
  await pages.updateOrCreate({ slug: 'home' }, { defaults: { views: F('views').plus(1) } });
  await pages.updateOrCreate(
    { slug: 'home' },
    { defaults: { views: F('views').plus(1) }, createDefaults: { views: 1 } },
  );
}
