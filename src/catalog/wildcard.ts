/**
 * Name patterns with `*` wildcards, as used by tool filters and toolsets.
 */

/** A test for whether a name matches any of `patterns` (`*` matches any run of characters). */
export function wildcardMatcher(patterns: readonly string[]): (name: string) => boolean {
  const expressions = patterns.map(
    (pattern) =>
      new RegExp(
        `^${pattern
          .split('*')
          .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*')}$`,
      ),
  );
  return (name) => expressions.some((re) => re.test(name));
}
