// What check_sql does the same for every database (mysql, pgsql, oracle): its precondition and
// its verdict. The drivers differ; these do not.
import { perlTrue } from '../../lib/perl.ts';
import type { CheckResult, NegotiateTarget } from '../types.ts';
import { down, up } from './result.ts';

/** check_sql's precondition, in its words: a login and a request (SQL) are required. */
export function sqlPrerequisite(target: NegotiateTarget, query: string): CheckResult | undefined {
  if (perlTrue(target.login) && perlTrue(query)) return undefined;
  return down(
    'Error: Must specify a login and request string for MySQL, Oracle and PostgreSQL checks. ' +
      `Not adding ${target.host}.`,
  );
}

/** check_sql's verdict: up on at least one row (returned, or affected by a non-SELECT). */
export function rowsResult(rows: number): CheckResult {
  return rows > 0 ? up(`${rows} row${rows === 1 ? '' : 's'}`) : down('Query returned no rows');
}
