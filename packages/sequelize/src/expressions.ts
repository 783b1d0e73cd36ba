/**
 * F expressions: `F('views').plus(1)` names a model attribute (not a column); racesafe
 * compiles it to SQL with every operand bound. Shared with `@racesafe/sequelize`.
 */
export { F, FExpression, isFExpression } from '@racesafe/core';
export type {
  FName,
  FOn,
  FOperand,
  FOperator,
  NumericProperties,
  UncheckedName,
} from '@racesafe/core';
