/**
 * `@racesafe/nestjs`: NestJS integration of racesafe. Import from the subpath of your ORM's
 * Nest module: `@racesafe/nestjs/typeorm` (with `@nestjs/typeorm`) or `@racesafe/nestjs/sequelize`
 * (with `@nestjs/sequelize`); each loads only its own ORM. This entry point exports nothing else.
 * @packageDocumentation
 */
/** The subpaths of this package. */
export const subpaths = ['@racesafe/nestjs/typeorm', '@racesafe/nestjs/sequelize'] as const;
