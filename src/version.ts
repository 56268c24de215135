// Versions printed by -v/--version. The original's version string is kept verbatim because
// tools parse it (docs/ldirectord-behavior.md §6 item 36); ours is package.json's, the one place the version is written
// (the packages in packaging/ take it from there too).
import packageJson from '../package.json' with { type: 'json' };

export const ORIGINAL_VERSION = 'Linux Director v1.186-ha';
export const VERSION: string = packageJson.version;
