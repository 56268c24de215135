// Versions printed by -v/--version. The original's version string is kept verbatim because
// tools parse it (docs/ldirectord-behavior.md §6 item 36); ours follows it.
export const ORIGINAL_VERSION = 'Linux Director v1.186-ha';
export const VERSION = '0.1.0';
