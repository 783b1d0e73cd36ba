/** Where a rule is documented: its section of the package README. */
export function docsUrl(rule: string): string {
  return `https://github.com/racesafe/racesafe/blob/main/packages/eslint-plugin/README.md#racesafe${rule}`;
}
