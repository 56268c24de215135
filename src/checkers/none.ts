// service=none (the original's check_none): no check at all, the real is always up.
import type { Checker, NegotiateTarget, ServiceDescriptors } from './types.ts';

export const checkNone: Checker<NegotiateTarget> = async () => ({
  up: true,
  reason: 'service none: always up',
});

/** service=none: no port of its own, so a real without a port is checked on port 0. */
export const noneServices = {
  none: { check: checkNone, receive: 'unused' },
} satisfies ServiceDescriptors;
