// service=none (the original's check_none): no check at all, the real is always up.
import type { Checker } from './types.ts';

export const checkNone: Checker = async () => ({ up: true, reason: 'service none: always up' });
